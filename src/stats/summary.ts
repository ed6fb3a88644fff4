import { type RawSql, rawSql, rowsOf } from "../db/raw";
import { countStuckStatement } from "../engine/sweeper";
import type { Durations, StatsWindow, WindowCounts } from "../schemas/stats";
import { JOB_STATUSES, type JobStatus, type RolledRow, addTo, recentByStatusStatement, recentByTypeStatement, rolledStatement } from "./counts";
import { windowCounts, windowStatements } from "./windows";

/**
 * What GET /stats shows of a tenant's jobs (or every tenant's), read in one batch per database
 * in time that does not grow with the job history: counts from the roll-ups plus the last minute
 * or two (counts.ts), durations from the newest completed jobs, finishes per window from the
 * per-minute and per-hour finish counts plus the jobs not rolled up yet (windows.ts), and stuck
 * jobs from the running range.
 */

export const DURATION_SAMPLE = 1_000;
/** The platform's sample is looked for among this many newest jobs of each database, so its cost is bounded too. */
const PLATFORM_DURATION_WINDOW = 20_000;

export interface JobSummary {
  byStatus: Record<string, number>;
  byType: Record<string, number>;
  byPriority: Record<string, number>;
  total: number;
  successRate: number | null;
  durationMs: Durations;
  durationByType: Record<string, Durations>;
  lastHour: Omit<WindowCounts, "failureRate">;
  windows: Record<StatsWindow, WindowCounts>;
  stuck: number;
}

/**
 * The newest completed jobs' run times with their ids and types, newest first: through the tenant's
 * `completed` range of `jobs_tenant_status_id`, or among the database's newest jobs for the platform.
 */
function durationsStatement(sql: RawSql, tenant: string | null) {
  return tenant === null
    ? sql`
      SELECT id, type, finished_at - started_at AS d
      FROM (SELECT id, type, status, started_at, finished_at FROM jobs ORDER BY id DESC LIMIT ${PLATFORM_DURATION_WINDOW})
      WHERE status = 'completed' AND started_at IS NOT NULL LIMIT ${DURATION_SAMPLE}`
    : sql`
      SELECT id, type, finished_at - started_at AS d FROM jobs
      WHERE tenant = ${tenant} AND status = 'completed' AND started_at IS NOT NULL ORDER BY id DESC LIMIT ${DURATION_SAMPLE}`;
}

interface DatabaseSummary {
  rolled: RolledRow[];
  recentByStatus: { status: JobStatus; n: number }[];
  recentByType: { type: string; priority: string; n: number }[];
  durations: { id: string; type: string; d: number }[];
  stuck: number;
  windows: D1Result[];
}

async function summarise(db: D1Database, tenant: string | null, now: number): Promise<DatabaseSummary> {
  const sql = rawSql(db);
  const results = await db.batch([
    rolledStatement(sql, tenant),
    recentByStatusStatement(sql, tenant),
    recentByTypeStatement(sql, tenant),
    durationsStatement(sql, tenant),
    countStuckStatement(sql, tenant, now),
    ...windowStatements(sql, tenant, now),
  ]);
  return {
    rolled: rowsOf<RolledRow>(results, 0),
    recentByStatus: rowsOf(results, 1),
    recentByType: rowsOf(results, 2),
    durations: rowsOf(results, 3),
    stuck: Number(rowsOf<{ stuck: number }>(results, 4)[0]?.stuck ?? 0),
    windows: results.slice(5),
  };
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

function durationsOf(runTimes: number[]): Durations {
  const sorted = [...runTimes].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), sample: sorted.length };
}

/** The newest DURATION_SAMPLE completed jobs of every database, overall and split by type. */
function durationsOfNewest(parts: DatabaseSummary[]) {
  const newest = parts.flatMap((p) => p.durations).sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, DURATION_SAMPLE);
  const byType: Record<string, number[]> = {};
  for (const row of newest) (byType[row.type] ??= []).push(Number(row.d));
  return {
    durationMs: durationsOf(newest.map((r) => Number(r.d))),
    durationByType: Object.fromEntries(Object.entries(byType).map(([type, runTimes]) => [type, durationsOf(runTimes)])),
  };
}

/** The summary of `tenant`'s jobs in its database, or (`tenant` null) of every tenant's in all of them. */
export async function jobSummary(databases: D1Database[], tenant: string | null, now = Date.now()): Promise<JobSummary> {
  const parts = await Promise.all(databases.map((db) => summarise(db, tenant, now)));
  const byStatus: Record<string, number> = {};
  const byType: Record<string, number> = {};
  const byPriority: Record<string, number> = {};
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
  }
  const done = byStatus.completed ?? 0;
  const dead = byStatus.failed ?? 0;
  const windows = windowCounts(parts.map((p) => p.windows));
  const { failureRate: _, ...lastHour } = windows.hour;
  return {
    byStatus,
    byType,
    byPriority,
    total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    successRate: done + dead === 0 ? null : done / (done + dead),
    ...durationsOfNewest(parts),
    lastHour,
    windows,
    stuck: parts.reduce((n, p) => n + p.stuck, 0),
  };
}
