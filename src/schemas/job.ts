import { z } from "@hono/zod-openapi";
import { PRIORITIES } from "../engine/lanes";
import { BackoffSchema } from "../engine/retry";
import { IsoTimestamp, listOf, nullable } from "./common";

export const JOB_STATUSES = ["queued", "running", "retrying", "completed", "failed", "cancelled"] as const;
export const TERMINAL_STATUSES = ["completed", "failed", "cancelled"] as const;

export const PrioritySchema = z.enum(PRIORITIES).openapi("Priority");
export const JobStatusSchema = z.enum(JOB_STATUSES).openapi("JobStatus");

/** The longest a single attempt may run in the queue consumer; durable jobs may run longer. */
export const MAX_TIMEOUT_MS = 15 * 60_000;
export const MAX_DURABLE_TIMEOUT_MS = 24 * 3_600_000;

export const MAX_DEBOUNCE_MS = 7 * 86_400_000;

export const DebounceSchema = z
  .object({
    key: z.string().min(1).max(200),
    periodMs: z.number().int().min(1).max(MAX_DEBOUNCE_MS).describe("Runs this long after the last submission with the key."),
    maxWaitMs: z.number().int().min(1).max(MAX_DEBOUNCE_MS).optional().describe("Runs no later than this long after the first one."),
  })
  .strict()
  .openapi("Debounce");

export const SubmitJobSchema = z
  .object({
    type: z.string().min(1).max(100).openapi({ example: "simulate" }),
    input: z.unknown().default({}).openapi({ example: { steps: 5, stepMs: 200 } }),
    priority: PrioritySchema.default("normal"),
    runAt: IsoTimestamp.optional().describe("Run no sooner than this instant."),
    delayMs: z.number().int().min(0).max(365 * 86_400_000).optional().describe("Run no sooner than this many ms from now."),
    maxAttempts: z.number().int().min(1).max(100).optional(),
    backoff: BackoffSchema.partial().optional(),
    timeoutMs: z.number().int().min(100).max(MAX_DURABLE_TIMEOUT_MS).optional(),
    tags: z.array(z.string().min(1).max(64)).max(20).default([]),
    idempotencyKey: z.string().min(1).max(200).optional(),
    concurrencyKey: z.string().min(1).max(200).optional().describe("Jobs of the tenant sharing this key run at most `concurrencyLimit` at once."),
    concurrencyLimit: z.number().int().min(1).max(1_000).optional().describe("Overrides the job type's limit for this key (default 1)."),
    debounce: DebounceSchema.optional(),
    rateLimitKey: z.string().min(1).max(200).optional().describe("Counts this submission against this key's rate limit (e.g. a user id) instead of the tenant's."),
  })
  .strict()
  .refine((v) => v.runAt === undefined || v.delayMs === undefined, {
    message: "give either runAt or delayMs, not both",
    path: ["runAt"],
  })
  .openapi("SubmitJob");

export type SubmitJob = z.infer<typeof SubmitJobSchema>;

export const MAX_BATCH_JOBS = 1_000;

export const SubmitBatchSchema = z
  .object({ jobs: z.array(SubmitJobSchema).min(1).max(MAX_BATCH_JOBS) })
  .strict()
  .openapi("SubmitBatch");

export const ErrorInfoSchema = z
  .object({ name: z.string(), message: z.string(), retryable: z.boolean() })
  .openapi("JobError");

export const ProgressSchema = z
  .object({ percent: z.number(), stage: z.string().nullable(), message: z.string().nullable() })
  .openapi("Progress");

export const JobSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    status: JobStatusSchema,
    priority: PrioritySchema,
    input: z.unknown(),
    result: z.unknown().nullable(),
    error: nullable(ErrorInfoSchema),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    timeoutMs: z.number().int(),
    durable: z.boolean(),
    progress: ProgressSchema,
    tags: z.array(z.string()),
    idempotencyKey: z.string().nullable(),
    concurrencyKey: z.string().nullable(),
    debounceKey: z.string().nullable(),
    runAt: IsoTimestamp,
    createdAt: IsoTimestamp,
    startedAt: IsoTimestamp.nullable(),
    finishedAt: IsoTimestamp.nullable(),
  })
  .openapi("Job");

export type Job = z.infer<typeof JobSchema>;

export const JobListSchema = listOf(JobSchema, "JobList");

export const BatchResultSchema = z
  .object({ items: z.array(JobSchema), created: z.number().int(), existing: z.number().int() })
  .openapi("BatchResult");

export const AttemptSchema = z
  .object({
    series: z.number().int().describe("0 for the first run; each manual retry or dead-letter replay adds one"),
    attempt: z.number().int(),
    outcome: z.enum(["running", "succeeded", "failed", "timed_out", "cancelled"]),
    startedAt: IsoTimestamp,
    finishedAt: IsoTimestamp.nullable(),
    durationMs: z.number().nullable(),
    error: nullable(ErrorInfoSchema),
  })
  .openapi("Attempt");

export const AttemptListSchema = z.object({ items: z.array(AttemptSchema) }).openapi("AttemptList");

export const JobLogSchema = z
  .object({
    seq: z.number().int(),
    at: IsoTimestamp,
    attempt: z.number().int(),
    level: z.enum(["debug", "info", "warn", "error"]),
    message: z.string(),
  })
  .openapi("JobLog");

export const JobLogListSchema = z.object({ items: z.array(JobLogSchema) }).openapi("JobLogList");

export const MAX_JOB_SEARCH_LENGTH = 200;

export const ListJobsQuery = z.object({
  q: z
    .string()
    .min(1)
    .max(MAX_JOB_SEARCH_LENGTH)
    .optional()
    .describe(
      "Jobs whose id, type, a tag, or a key or value of the input contains this text, ignoring the case of ASCII letters; " +
        "combines with the other filters and the cursor. Input matching scans the tenant's jobs (those the other filters select) newest first " +
        "until the page is full, so a rare match costs a read of the tenant's history. Credential header values that job views redact are not matched.",
    ),
  status: JobStatusSchema.optional(),
  type: z.string().max(100).optional(),
  priority: PrioritySchema.optional(),
  tag: z.string().max(64).optional(),
  createdAfter: IsoTimestamp.optional(),
  createdBefore: IsoTimestamp.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
