import { createRoute, z } from "@hono/zod-openapi";
import { fieldList } from "../../db/columns";
import { rawSql, rowsOf } from "../../db/raw";
import { housekeeping, tenantSettings } from "../../db/schema";
import { iso } from "../../engine/job-view";
import { DEFAULT_JOB_RETENTION_DAYS } from "../../housekeeping/jobs";
import { errorResponses, jsonContent } from "../../schemas/common";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";

const DURATION_SAMPLE = 1_000;
const HOUR_MS = 3_600_000;

const StatsSchema = z
  .object({
    byStatus: z.record(z.string(), z.number().int()),
    byType: z.record(z.string(), z.number().int()),
    byPriority: z.record(z.string(), z.number().int()),
    total: z.number().int(),
    successRate: z.number().nullable().describe("completed / (completed + failed), over all finished jobs"),
    durationMs: z
      .object({ p50: z.number().nullable(), p95: z.number().nullable(), sample: z.number().int() })
      .describe(`run time (first start to finish) of the last ${DURATION_SAMPLE} completed jobs`),
    lastHour: z.object({
      completed: z.number().int(),
      failed: z.number().int(),
      perMinute: z.number().describe("finished jobs per minute over the last hour"),
    }),
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
  summary: "Counts, success rate, durations and throughput for the tenant's jobs",
  tags: ["operations"],
  middleware: [requireScope("jobs:read")] as const,
  responses: { 200: jsonContent(StatsSchema, "Stats"), ...errorResponses(401, 403) },
});

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** What housekeeping has done for a tenant, and the retention it works to. */
const RETENTION = fieldList(tenantSettings, ["jobRetentionDays"], "s");
const HOUSEKEEPING = fieldList(housekeeping, ["jobsDeleted", "lastRunAt", "lastDeleted"], "h");
type Housekeeping = Pick<typeof tenantSettings.$inferSelect, "jobRetentionDays"> &
  Pick<typeof housekeeping.$inferSelect, "jobsDeleted" | "lastRunAt" | "lastDeleted">;

const toRecord = (rows: { key: string; n: number }[]) => Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));

export const statsApi = newRouter().openapi(statsRoute, async (c) => {
  const tenant = c.get("principal").tenant;
  const sql = rawSql(c.env.DB);
  const since = Date.now() - HOUR_MS;
  const results = await c.env.DB.batch([
    sql`SELECT status AS key, count(*) AS n FROM jobs WHERE tenant = ${tenant} GROUP BY status`,
    sql`SELECT type AS key, count(*) AS n FROM jobs WHERE tenant = ${tenant} GROUP BY type`,
    sql`SELECT priority AS key, count(*) AS n FROM jobs WHERE tenant = ${tenant} GROUP BY priority`,
    sql`
      SELECT finished_at - started_at AS d FROM jobs
      WHERE tenant = ${tenant} AND finished_at IS NOT NULL AND status = 'completed' AND started_at IS NOT NULL
      ORDER BY finished_at DESC LIMIT ${DURATION_SAMPLE}`,
    sql`
      SELECT status, count(*) AS n FROM jobs WHERE tenant = ${tenant} AND finished_at >= ${since} GROUP BY status`,
    sql`
      SELECT ${RETENTION}, ${HOUSEKEEPING}
      FROM (SELECT ${tenant} AS tenant) t
      LEFT JOIN tenant_settings s ON s.tenant = t.tenant LEFT JOIN housekeeping h ON h.tenant = t.tenant`,
  ]);
  type Count = { key: string; n: number };
  const [byStatus, byType, byPriority] = [0, 1, 2].map((i) => rowsOf<Count>(results, i));
  const durations = rowsOf<{ d: number }>(results, 3);
  const lastHour = rowsOf<{ status: string; n: number }>(results, 4);
  // A tenant without settings or housekeeping rows reads nulls from the left joins.
  const [kept] = rowsOf<{ [K in keyof Housekeeping]: Housekeeping[K] | null }>(results, 5);
  const statusCounts = toRecord(byStatus!);
  const completed = statusCounts.completed ?? 0;
  const failed = statusCounts.failed ?? 0;
  const sorted = durations.map((r) => Number(r.d)).sort((a, b) => a - b);
  const hour = Object.fromEntries(lastHour.map((r) => [r.status, Number(r.n)]));
  const hourCompleted = hour.completed ?? 0;
  const hourFailed = hour.failed ?? 0;
  return c.json(
    {
      byStatus: statusCounts,
      byType: toRecord(byType!),
      byPriority: toRecord(byPriority!),
      total: Object.values(statusCounts).reduce((a, b) => a + b, 0),
      successRate: completed + failed === 0 ? null : completed / (completed + failed),
      durationMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), sample: sorted.length },
      lastHour: { completed: hourCompleted, failed: hourFailed, perMinute: (hourCompleted + hourFailed) / 60 },
      housekeeping: {
        retentionDays: kept?.jobRetentionDays ?? DEFAULT_JOB_RETENTION_DAYS,
        jobsDeleted: kept?.jobsDeleted ?? 0,
        lastRunAt: kept?.lastRunAt == null ? null : iso(kept.lastRunAt),
        lastDeleted: kept?.lastDeleted ?? 0,
      },
    },
    200,
  );
});
