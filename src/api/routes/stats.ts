import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_TENANT, type Principal } from "../../auth/principal";
import { everyDatabase } from "../../db/shards";
import { iso } from "../../engine/job-view";
import { STUCK_GRACE_MS } from "../../engine/sweeper";
import { jsonContent } from "../../schemas/common";
import { DurationsSchema, StatsHistoryQuery, StatsHistorySchema, WindowCountsSchema } from "../../schemas/stats";
import { platformHousekeeping, tenantHousekeeping } from "../../stats/housekeeping";
import { DURATION_SAMPLE, jobSummary } from "../../stats/summary";
import { finishHistory } from "../../stats/windows";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";

const StatsSchema = z
  .object({
    byStatus: z.record(z.string(), z.number().int()),
    byType: z.record(z.string(), z.number().int()),
    byPriority: z.record(z.string(), z.number().int()),
    total: z.number().int(),
    successRate: z.number().nullable().describe("completed / (completed + failed), over all finished jobs"),
    durationMs: DurationsSchema.describe(`run time (first start to finish) of the ${DURATION_SAMPLE} most recently submitted jobs that completed`),
    durationByType: z
      .record(z.string(), DurationsSchema)
      .describe(
        "`durationMs` split by job type: the same sample, so a type's `sample` is how many of it are of that type, and a type with none is left out",
      ),
    lastHour: z
      .object({
        completed: z.number().int(),
        failed: z.number().int(),
        perMinute: z.number().describe("finished jobs per minute over the last hour"),
      })
      .describe("finishes since the start of the minute an hour ago (the same as `windows.hour`)"),
    windows: z
      .object({ hour: WindowCountsSchema, day: WindowCountsSchema, week: WindowCountsSchema })
      .describe(
        "finishes (a job completing or failing; one retried that finishes again counts again, unlike in `byStatus`) since the start of the minute an hour ago, " +
          "of the hour 24 hours ago and of the hour 7 days ago: the sums of GET /stats/history's buckets, so a longer window never counts fewer",
      ),
    stuck: z
      .number()
      .int()
      .describe(`running jobs with no heartbeat for longer than their time limit plus ${STUCK_GRACE_MS / 1000} s, which the sweeper fails`),
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
  operationId: "getStats",
  summary: "Counts, success rate, durations, throughput and stuck jobs: the tenant's jobs, or every tenant's for the platform's admin key",
  description:
    "Answers in the same time whatever the number of jobs: counts come from totals the clock rolls up every minute plus the jobs of the last minute or two.",
  tags: ["operations"],
  middleware: [requireScope("jobs:read")] as const,
  responses: { 200: jsonContent(StatsSchema, "Stats") },
});

const historyRoute = createRoute({
  method: "get",
  path: "/history",
  operationId: "getStatsHistory",
  summary: "Jobs completed and failed per minute over the last hour, or per hour over the last day or week, for charts",
  description:
    "Finishes per bucket: a job completing or failing, again after each retry. " +
    "The buckets are those the clock rolls finishes up into: minutes (kept two hours) for `hour`, hours (kept eight days) for `day` and `week`. " +
    "The series starts at the start of the bucket one window ago and ends with the bucket in progress, so it covers the whole window; " +
    "empty buckets are zeros. Hours before this series was first rolled up (the deploy that added it, less two hours) read as zeros. " +
    "The tenant's jobs, or every tenant's for the platform's admin key.",
  tags: ["operations"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: StatsHistoryQuery },
  responses: { 200: jsonContent(StatsHistorySchema, "The series") },
});

/** What the caller's stats range over: the platform's admin key sees every database and tenant. */
function scopeOf(env: Env, principal: Principal) {
  const platform = principal.tenant === ADMIN_TENANT;
  // The auth middleware has bound `DB` to the tenant's database.
  return { platform, tenant: platform ? null : principal.tenant, databases: platform ? everyDatabase(env).map((d) => d.db) : [env.DB] };
}

export const statsApi = newRouter()
  .openapi(statsRoute, async (c) => {
    const { platform, tenant, databases } = scopeOf(c.env, c.get("principal"));
    const [summary, kept] = await Promise.all([
      jobSummary(databases, tenant),
      platform ? platformHousekeeping(databases) : tenantHousekeeping(databases[0]!, tenant!),
    ]);
    return c.json({ ...summary, housekeeping: { ...kept, lastRunAt: kept.lastRunAt === null ? null : iso(kept.lastRunAt) } }, 200);
  })
  .openapi(historyRoute, async (c) => {
    const { tenant, databases } = scopeOf(c.env, c.get("principal"));
    return c.json(await finishHistory(databases, tenant, c.req.valid("query").window), 200);
  });
