import { z } from "@hono/zod-openapi";
import { IsoTimestamp, nullable } from "./common";
import { JobStatusSchema, SubmitJobSchema } from "./job";

const submit = SubmitJobSchema.shape;

/** Fired jobs get one more tag, `schedule:<id>`, so a template keeps one tag free. */
const MAX_TEMPLATE_TAGS = 19;

/** The job a schedule submits at each instant: the submit options that make sense for every run. */
export const ScheduleJobSchema = z
  .object({
    type: submit.type,
    input: submit.input,
    priority: submit.priority,
    tags: z.array(z.string().min(1).max(64)).max(MAX_TEMPLATE_TAGS).default([]),
    maxAttempts: submit.maxAttempts,
    timeoutMs: submit.timeoutMs,
    backoff: submit.backoff,
    concurrencyKey: submit.concurrencyKey,
    concurrencyLimit: submit.concurrencyLimit,
  })
  .strict()
  .openapi("ScheduleJob");

export type ScheduleJob = z.infer<typeof ScheduleJobSchema>;

export const MisfireSchema = z
  .enum(["skip", "catch_up"])
  .describe("What happens to instants missed while the platform was down: `skip` them, or `catch_up` on the latest `catchUpLimit`.")
  .openapi("Misfire");

const field = {
  name: z.string().min(1).max(100),
  cron: z
    .string()
    .min(1)
    .max(200)
    .describe(
      "5 fields, or 6 with seconds first, evaluated in `timezone`. Runs must be at least the platform's minimum interval apart (SCHEDULE_MIN_INTERVAL_SECONDS, 10 s by default).",
    )
    .openapi({ example: "0 9 * * MON-FRI" }),
  intervalMs: z.number().int().min(1_000).max(366 * 86_400_000).describe("Runs every this many ms, counted from `startsAt` or creation; at least the platform's minimum interval (10 s by default)."),
  timezone: z.string().min(1).max(64).describe("An IANA time zone, e.g. Europe/Berlin.").openapi({ example: "Europe/Berlin" }),
  enabled: z.boolean(),
  startsAt: IsoTimestamp.describe("No run before this instant."),
  endsAt: IsoTimestamp.describe("No run after this instant."),
  catchUpLimit: z.number().int().min(1).max(100),
};

/** What decides when a new schedule runs: a create and a preview take the same. */
const timing = {
  cron: field.cron.optional(),
  intervalMs: field.intervalMs.optional(),
  timezone: field.timezone.default("UTC"),
  startsAt: field.startsAt.optional(),
  endsAt: field.endsAt.optional(),
};
const hasOneTiming = (v: { cron?: string; intervalMs?: number }) => (v.cron === undefined) !== (v.intervalMs === undefined);
const ONE_TIMING = { message: "give exactly one of cron or intervalMs", path: ["cron"] };

export const CreateScheduleSchema = z
  .object({
    name: field.name,
    cron: timing.cron,
    intervalMs: timing.intervalMs,
    timezone: timing.timezone,
    job: ScheduleJobSchema,
    enabled: field.enabled.default(true),
    startsAt: timing.startsAt,
    endsAt: timing.endsAt,
    misfire: MisfireSchema.default("skip"),
    catchUpLimit: field.catchUpLimit.default(10),
  })
  .strict()
  .refine(hasOneTiming, ONE_TIMING)
  .openapi("CreateSchedule");

export const MAX_PREVIEW_RUNS = 20;

export const PreviewScheduleSchema = z
  .object({
    ...timing,
    count: z.number().int().min(1).max(MAX_PREVIEW_RUNS).default(5).describe("How many run times to give."),
  })
  .strict()
  .refine(hasOneTiming, ONE_TIMING)
  .openapi("PreviewSchedule");

export const SchedulePreviewSchema = z
  .object({ nextRuns: z.array(IsoTimestamp).describe("The first `count` run times from now (fewer if `endsAt` comes first), ascending.") })
  .openapi("SchedulePreview");

export const UpdateScheduleSchema = z
  .object({
    name: field.name.optional(),
    cron: field.cron.optional().describe("Makes it a cron schedule."),
    intervalMs: field.intervalMs.optional().describe("Makes it an interval schedule."),
    timezone: field.timezone.optional(),
    // Its description is the schema's: one beside a named schema would wrap it in an allOf.
    job: ScheduleJobSchema.optional(),
    enabled: field.enabled.optional(),
    startsAt: field.startsAt.nullable().optional(),
    endsAt: field.endsAt.nullable().optional(),
    misfire: MisfireSchema.optional(),
    catchUpLimit: field.catchUpLimit.optional(),
  })
  .strict()
  .refine((v) => v.cron === undefined || v.intervalMs === undefined, {
    message: "give either cron or intervalMs, not both",
    path: ["cron"],
  })
  .openapi("UpdateSchedule", { description: "The fields to change; `job` replaces the whole job." });

export const ScheduleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    cron: z.string().nullable(),
    intervalMs: z.number().int().nullable(),
    timezone: z.string(),
    job: ScheduleJobSchema,
    enabled: z.boolean(),
    startsAt: IsoTimestamp.nullable(),
    endsAt: IsoTimestamp.nullable(),
    misfire: MisfireSchema,
    catchUpLimit: z.number().int(),
    nextRunAt: IsoTimestamp.nullable().describe(
      "The first instant not yet handed to the queue (the next minute's runs already are); null when paused or ended.",
    ),
    lastRunAt: IsoTimestamp.nullable().describe("The latest instant a job was submitted for."),
    nextRuns: z.array(IsoTimestamp).describe("The next 5 run times; empty when paused or ended."),
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
  })
  .openapi("Schedule");

export type Schedule = z.infer<typeof ScheduleSchema>;

export const ScheduleRunSchema = z
  .object({
    instant: IsoTimestamp,
    trigger: z.enum(["schedule", "catch_up", "manual"]),
    jobId: z.string().nullable().describe("Null when no job was submitted for the instant (see `skippedReason`)."),
    jobStatus: nullable(JobStatusSchema).describe("The job's status now; null once the job is gone."),
    skippedReason: z
      .string()
      .nullable()
      .describe(
        "Why the instant was skipped, starting with the refusal's error code: a rate limit (`rate_limited`, reject mode; throttled runs are submitted and start later), a quota (`quota_live_jobs`), or a job its type no longer accepts (`invalid_job`). Null when a job was submitted.",
      ),
    createdAt: IsoTimestamp,
  })
  .openapi("ScheduleRun");
