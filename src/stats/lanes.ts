import { type RawSql, SqlText, rawSql, rowsOf } from "../db/raw";
import { PRIORITIES, type Priority } from "../engine/lanes";
import { recentLiveStatement } from "./counts";

/**
 * What GET /queues shows per priority lane: jobs waiting and due now (depth), waiting for a later
 * time (scheduled) and running (in flight). Waiting and running come from the roll-ups plus the
 * jobs not rolled up yet (counts.ts). Due jobs are counted through `jobs_waiting`, which holds
 * only waiting jobs: a waiting job's `dispatch_due_at` is never later than its `run_at` (a second
 * later at most, its message's delay being whole seconds) or the moment it was written, or it is
 * null (parked), so the due ones lie in the index's ranges up to now, and a job scheduled for
 * later is not read at all. Scheduled is what waits but is not due.
 */

export interface LaneCounts {
  lane: Priority;
  depth: number;
  scheduled: number;
  inFlight: number;
}

/** The slack of a message's delay over its job's start, which is rounded up to whole seconds. */
const DELAY_ROUNDING_MS = 1_000;
const ALL_PRIORITIES = `(${PRIORITIES.map((p) => `'${p}'`).join(", ")})`;

function rolledLiveStatement(sql: RawSql, tenant: string | null) {
  const sums = new SqlText("sum(queued + retrying) AS waiting, sum(running) AS running");
  return tenant === null
    ? sql`SELECT priority, ${sums} FROM job_rollups GROUP BY priority`
    : sql`SELECT priority, ${sums} FROM job_rollups WHERE tenant = ${tenant} GROUP BY priority`;
}

/**
 * Waiting jobs due at `now`: those whose message is due by now, and parked ones. `+tenant` keeps
 * SQLite on `jobs_waiting`, whose due ranges are small, rather than on all of the tenant's waiting jobs.
 */
function dueStatements(db: D1Database, tenant: string | null, now: number) {
  const ofTenant = tenant === null ? "" : "AND +tenant = ?3";
  const params = tenant === null ? [now + DELAY_ROUNDING_MS, now] : [now + DELAY_ROUNDING_MS, now, tenant];
  const count = (dispatch: string) =>
    db
      .prepare(
        `SELECT priority, count(*) AS n FROM jobs WHERE status IN ('queued', 'retrying') AND priority IN ${ALL_PRIORITIES}
         AND ${dispatch} AND run_at <= ?2 ${ofTenant} GROUP BY priority`,
      )
      .bind(...params);
  return [count("dispatch_due_at <= ?1"), count("dispatch_due_at IS NULL")];
}

type Live = { priority: Priority; waiting: number | null; running: number | null };

/** One database's share of the lanes. */
async function laneShare(db: D1Database, tenant: string | null, now: number) {
  const sql = rawSql(db);
  const results = await db.batch([rolledLiveStatement(sql, tenant), recentLiveStatement(sql, tenant), ...dueStatements(db, tenant, now)]);
  return {
    live: [...rowsOf<Live>(results, 0), ...rowsOf<Live>(results, 1)],
    due: [...rowsOf<{ priority: Priority; n: number }>(results, 2), ...rowsOf<{ priority: Priority; n: number }>(results, 3)],
  };
}

/** The lanes of `tenant`'s jobs in its database, or (`tenant` null) of every tenant's in all of them. */
export async function laneCounts(databases: D1Database[], tenant: string | null, now = Date.now()): Promise<LaneCounts[]> {
  const shares = await Promise.all(databases.map((db) => laneShare(db, tenant, now)));
  const live = shares.flatMap((s) => s.live);
  const due = shares.flatMap((s) => s.due);
  const sum = <T extends { priority: Priority }>(rows: T[], lane: Priority, field: (row: T) => number | null) =>
    rows.filter((r) => r.priority === lane).reduce((n, r) => n + Number(field(r) ?? 0), 0);
  return PRIORITIES.map((lane) => {
    const depth = sum(due, lane, (r) => r.n);
    return { lane, depth, scheduled: sum(live, lane, (r) => r.waiting) - depth, inFlight: sum(live, lane, (r) => r.running) };
  });
}
