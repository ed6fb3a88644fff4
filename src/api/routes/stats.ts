import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_TENANT } from "../../auth/principal";
import { everyDatabase } from "../../db/shards";
import { iso } from "../../engine/job-view";
import { errorResponses, jsonContent } from "../../schemas/common";
import { platformHousekeeping, tenantHousekeeping } from "../../stats/housekeeping";
import { DURATION_SAMPLE, jobSummary } from "../../stats/summary";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";

const StatsSchema = z
  .object({
    byStatus: z.record(z.string(), z.number().int()),
    byType: z.record(z.string(), z.number().int()),
    byPriority: z.record(z.string(), z.number().int()),
    total: z.number().int(),
    successRate: z.number().nullable().describe("completed / (completed + failed), over all finished jobs"),
    durationMs: z
      .object({ p50: z.number().nullable(), p95: z.number().nullable(), sample: z.number().int() })
      .describe(`run time (first start to finish) of the ${DURATION_SAMPLE} most recently submitted jobs that completed`),
    lastHour: z
      .object({
        completed: z.number().int(),
        failed: z.number().int(),
        perMinute: z.number().describe("finished jobs per minute over the last hour"),
      })
      .describe("jobs that finished since the start of the minute an hour ago"),
    housekeeping: z
      .object({
        retentionDays: z.number().int().describe("finished jobs older than this are deleted (the tenant's setting or the default)"),
        jobsDeleted: z.number().int(),
        lastRunAt: z.string().nullable(),
        lastDeleted: z.number().int().describe("jobs deleted by the last run"),
      })
      .describe("what job housekeeping has deleted for the tenant"),
  })
  .openapi("Stats");

const statsRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Counts, success rate, durations and throughput: the tenant's jobs, or every tenant's for the platform's admin key",
  description:
    "Answers in the same time whatever the number of jobs: counts come from totals the clock rolls up every minute plus the jobs of the last minute or two.",
  tags: ["operations"],
  middleware: [requireScope("jobs:read")] as const,
  responses: { 200: jsonContent(StatsSchema, "Stats"), ...errorResponses(401, 403) },
});

export const statsApi = newRouter().openapi(statsRoute, async (c) => {
  const tenant = c.get("principal").tenant;
  const platform = tenant === ADMIN_TENANT;
  // The auth middleware has bound `DB` to the tenant's database.
  const databases = platform ? everyDatabase(c.env).map((d) => d.db) : [c.env.DB];
  const [summary, kept] = await Promise.all([
    jobSummary(databases, platform ? null : tenant),
    platform ? platformHousekeeping(databases) : tenantHousekeeping(databases[0]!, tenant),
  ]);
  return c.json({ ...summary, housekeeping: { ...kept, lastRunAt: kept.lastRunAt === null ? null : iso(kept.lastRunAt) } }, 200);
});
