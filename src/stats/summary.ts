import { type RawSql, SqlText, rawSql, rowsOf } from "../db/raw";
import { JOB_STATUSES, type JobStatus, type RolledRow, addTo, recentByStatusStatement, recentByTypeStatement, rolledStatement } from "./counts";

/**
 * What GET /stats shows of a tenant's jobs (or every tenant's), read in one batch per database
 * in time that does not grow with the job history: counts from the roll-ups plus the last minute
 * or two (counts.ts), durations from the newest completed jobs, and the last hour from per-minute
 * finish counts plus the jobs not rolled up yet.
 */

export const DURATION_SAMPLE = 1_000;
/** The platform's sample is looked for among this many newest jobs of each database, so its cost is bounded too. */
const PLATFORM_DURATION_WINDOW = 20_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

const WATERMARK = new SqlText("(SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')");

export interface JobSummary {
  byStatus: Record<string, number>;
  byType: Record<string, number>;
  byPriority: Record<string, number>;
  total: number;
  successRate: number | null;
  durationMs: { p50: number | null; p95: number | null; sample: number };
  lastHour: { completed: number; failed: number; perMinute: number };
}

/** The last hour starts at the start of the minute an hour ago: per-minute counts cover it exactly. */
export const lastHourStart = (now: number) => Math.floor((now - HOUR_MS) / MINUTE_MS) * MINUTE_MS;

/**
 * The newest completed jobs' run times with their ids, newest first: through the tenant's
 * `completed` range of `jobs_tenant_status_id`, or among the database's newest jobs for the platform.
 */
function durationsStatement(sql: RawSql, tenant: string | null) {
  return tenant === null
    ? sql`
      SELECT id, finished_at - started_at AS d FROM (SELECT id, status, started_at, finished_at FROM jobs ORDER BY id DESC LIMIT ${PLATFORM_DURATION_WINDOW})
      WHERE status = 'completed' AND started_at IS NOT NULL LIMIT ${DURATION_SAMPLE}`
    : sql`
      SELECT id, finished_at - started_at AS d FROM jobs
      WHERE tenant = ${tenant} AND status = 'completed' AND started_at IS NOT NULL ORDER BY id DESC LIMIT ${DURATION_SAMPLE}`;
}

/** Completed and failed in the last hour: the rolled-up jobs' minutes, then the jobs not rolled up yet. */
function lastHourStatements(sql: RawSql, tenant: string | null, since: number) {
  const sums = new SqlText("coalesce(sum(completed), 0) AS completed, coalesce(sum(failed), 0) AS failed");
  const recent = new SqlText("sum(status = 'completed') AS completed, sum(status = 'failed') AS failed");
  return tenant === null
    ? [
        sql`SELECT ${sums} FROM job_finishes WHERE minute >= ${since}`,
        sql`SELECT ${recent} FROM jobs WHERE id >= ${WATERMARK} AND status IN ('completed', 'failed') AND finished_at >= ${since}`,
      ]
    : [
        sql`SELECT ${sums} FROM job_finishes WHERE tenant = ${tenant} AND minute >= ${since}`,
        sql`
          SELECT ${recent} FROM jobs
          WHERE tenant = ${tenant} AND status IN ('completed', 'failed') AND id >= ${WATERMARK} AND finished_at >= ${since}`,
      ];
}

interface DatabaseSummary {
  rolled: RolledRow[];
  recentByStatus: { status: JobStatus; n: number }[];
  recentByType: { type: string; priority: string; n: number }[];
  durations: { id: string; d: number }[];
  hour: { completed: number | null; failed: number | null }[];
}

async function summarise(db: D1Database, tenant: string | null, since: number): Promise<DatabaseSummary> {
  const sql = rawSql(db);
  const results = await db.batch([
    rolledStatement(sql, tenant),
    recentByStatusStatement(sql, tenant),
    recentByTypeStatement(sql, tenant),
    durationsStatement(sql, tenant),
    ...lastHourStatements(sql, tenant, since),
  ]);
  return {
    rolled: rowsOf<RolledRow>(results, 0),
    recentByStatus: rowsOf(results, 1),
    recentByType: rowsOf(results, 2),
    durations: rowsOf(results, 3),
    hour: [...rowsOf<DatabaseSummary["hour"][number]>(results, 4), ...rowsOf<DatabaseSummary["hour"][number]>(results, 5)],
  };
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** The summary of `tenant`'s jobs in its database, or (`tenant` null) of every tenant's in all of them. */
export async function jobSummary(databases: D1Database[], tenant: string | null, now = Date.now()): Promise<JobSummary> {
  const parts = await Promise.all(databases.map((db) => summarise(db, tenant, lastHourStart(now))));
  const byStatus: Record<string, number> = {};
  const byType: Record<string, number> = {};
  const byPriority: Record<string, number> = {};
  let completed = 0;
  let failed = 0;
  for (const part of parts) {
    for (const row of part.rolled) {
      const n = JOB_STATUSES.reduce((sum, s) => sum + Number(row[s]), 0);
      for (const s of JOB_STATUSES) addTo(byStatus, s, Number(row[s]));
      addTo(byType, row.type, n);
      addTo(byPriority, row.priority, n);
    }
    for (const row of part.recentByStatus) addTo(byStatus, row.status, Number(row.n));
    for (const row of part.recentByType) {
      addTo(byType, row.type, Number(row.n));
      addTo(byPriority, row.priority, Number(row.n));
    }
    for (const row of part.hour) {
      completed += Number(row.completed ?? 0);
      failed += Number(row.failed ?? 0);
    }
  }
  const newest = parts.flatMap((p) => p.durations).sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, DURATION_SAMPLE);
  const sorted = newest.map((r) => Number(r.d)).sort((a, b) => a - b);
  const done = byStatus.completed ?? 0;
  const dead = byStatus.failed ?? 0;
  return {
    byStatus,
    byType,
    byPriority,
    total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    successRate: done + dead === 0 ? null : done / (done + dead),
    durationMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), sample: sorted.length },
    lastHour: { completed, failed, perMinute: (completed + failed) / 60 },
  };
}
