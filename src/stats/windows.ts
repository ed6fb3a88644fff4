import { type RawSql, SqlText, rawSql, rowsOf } from "../db/raw";
import { iso } from "../engine/job-view";
import { type StatsHistory, type StatsWindow, StatsWindowSchema, type WindowCounts } from "../schemas/stats";

/**
 * Finishes over the last hour, day and week, as totals (GET /stats) and series (GET /stats/history),
 * in time that does not grow with the job history. A finish is a job entering completed or failed:
 * one sent back (retry, replay) that finishes again has finished twice. Each finish is counted in
 * exactly one place (migration 0020, rollup.ts): on its job's row until the roll-up passes the job
 * or the job is sent back, then in its minute for two hours, then in its hour. The hour window reads
 * the rows and the minutes; the day and week the hours too. A longer window reads the same finishes
 * and earlier ones, so it never counts fewer.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const WATERMARK = new SqlText("(SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')");

/** Each window's length and buckets, and whether it reads the hours (older than the minutes kept). */
const WINDOWS: Record<StatsWindow, { lengthMs: number; bucketMs: number; hours: boolean }> = {
  hour: { lengthMs: HOUR_MS, bucketMs: MINUTE_MS, hours: false },
  day: { lengthMs: 24 * HOUR_MS, bucketMs: HOUR_MS, hours: true },
  week: { lengthMs: 7 * 24 * HOUR_MS, bucketMs: HOUR_MS, hours: true },
};
const STATS_WINDOWS = StatsWindowSchema.options;

/**
 * A window starts at the start of the bucket its length ago, so that whole buckets cover it: it
 * spans its length and part of one bucket more (the hour is the `lastHour` of the stats).
 */
export function windowStart(window: StatsWindow, now: number): number {
  const { lengthMs, bucketMs } = WINDOWS[window];
  return Math.floor((now - lengthMs) / bucketMs) * bucketMs;
}

const FINISHED = "status IN ('completed', 'failed')";

/**
 * Rolled-up finishes since `since`, `at` the start of their bucket: the minutes kept and, for a
 * window that reaches past them, the hours. Each is one range of its primary key for a tenant.
 */
function rolledStatement(sql: RawSql, tenant: string | null, window: StatsWindow, since: number, grouped: boolean) {
  const { bucketMs, hours } = WINDOWS[window];
  const sums = new SqlText(
    grouped ? "at, sum(completed) AS completed, sum(failed) AS failed" : "coalesce(sum(completed), 0) AS completed, coalesce(sum(failed), 0) AS failed",
  );
  const group = new SqlText(grouped ? "GROUP BY 1" : "");
  const minuteAt = new SqlText(`minute / ${bucketMs} * ${bucketMs}`);
  if (tenant === null) {
    return hours
      ? sql`SELECT ${sums} FROM (
          SELECT hour AS at, completed, failed FROM job_finish_hours WHERE hour >= ${since}
          UNION ALL SELECT ${minuteAt}, completed, failed FROM job_finishes WHERE minute >= ${since}) ${group}`
      : sql`SELECT ${sums} FROM (SELECT ${minuteAt} AS at, completed, failed FROM job_finishes WHERE minute >= ${since}) ${group}`;
  }
  return hours
    ? sql`SELECT ${sums} FROM (
        SELECT hour AS at, completed, failed FROM job_finish_hours WHERE tenant = ${tenant} AND hour >= ${since}
        UNION ALL SELECT ${minuteAt}, completed, failed FROM job_finishes WHERE tenant = ${tenant} AND minute >= ${since}) ${group}`
    : sql`SELECT ${sums} FROM (SELECT ${minuteAt} AS at, completed, failed FROM job_finishes WHERE tenant = ${tenant} AND minute >= ${since}) ${group}`;
}

/** Finished since `since`, in total or per bucket (`grouped`): the rolled-up finishes, then the jobs above the watermark. */
function finishedStatements(sql: RawSql, tenant: string | null, window: StatsWindow, since: number, grouped: boolean) {
  const { bucketMs } = WINDOWS[window];
  const group = new SqlText(grouped ? "GROUP BY 1" : "");
  const sums = new SqlText(
    `${grouped ? `finished_at / ${bucketMs} * ${bucketMs} AS at, ` : ""}sum(status = 'completed') AS completed, sum(status = 'failed') AS failed`,
  );
  const finished = new SqlText(FINISHED);
  const recent =
    tenant === null
      ? sql`SELECT ${sums} FROM jobs WHERE id >= ${WATERMARK} AND ${finished} AND finished_at >= ${since} ${group}`
      : sql`SELECT ${sums} FROM jobs WHERE tenant = ${tenant} AND ${finished} AND id >= ${WATERMARK} AND finished_at >= ${since} ${group}`;
  return [rolledStatement(sql, tenant, window, since, grouped), recent];
}

/** Statements for a database's batch: two per window, in the order of the windows' schema. */
export function windowStatements(sql: RawSql, tenant: string | null, now: number): D1PreparedStatement[] {
  return STATS_WINDOWS.flatMap((w) => finishedStatements(sql, tenant, w, windowStart(w, now), false));
}

type Finished = { completed: number | null; failed: number | null };

/** Each window's counts, from every database's answers to `windowStatements` (in their order). */
export function windowCounts(answers: D1Result[][]): Record<StatsWindow, WindowCounts> {
  const entries = STATS_WINDOWS.map((window, i) => {
    const rows = answers.flatMap((a) => [...rowsOf<Finished>(a, 2 * i), ...rowsOf<Finished>(a, 2 * i + 1)]);
    const completed = rows.reduce((n, r) => n + Number(r.completed ?? 0), 0);
    const failed = rows.reduce((n, r) => n + Number(r.failed ?? 0), 0);
    const finished = completed + failed;
    const perMinute = finished / (WINDOWS[window].lengthMs / MINUTE_MS);
    return [window, { completed, failed, perMinute, failureRate: finished === 0 ? null : failed / finished }] as const;
  });
  return Object.fromEntries(entries) as Record<StatsWindow, WindowCounts>;
}

/**
 * Completed and failed per bucket over `window`, of `tenant`'s jobs in its database or (`tenant`
 * null) every tenant's in all of them: the buckets `windowCounts` sums, every one of them present.
 */
export async function finishHistory(databases: D1Database[], tenant: string | null, window: StatsWindow, now = Date.now()): Promise<StatsHistory> {
  const { bucketMs } = WINDOWS[window];
  const since = windowStart(window, now);
  const points = Array.from({ length: Math.floor(now / bucketMs) - since / bucketMs + 1 }, (_, i) => ({ at: since + i * bucketMs, completed: 0, failed: 0 }));
  const answers = await Promise.all(databases.map((db) => db.batch(finishedStatements(rawSql(db), tenant, window, since, true))));
  for (const answer of answers) {
    for (const row of [...rowsOf<Finished & { at: number }>(answer, 0), ...rowsOf<Finished & { at: number }>(answer, 1)]) {
      // A finish stamped after `now` (another isolate's clock) is in the bucket in progress, as it
      // is in the window's total: the buckets always sum to it.
      const point = points[Math.min((Number(row.at) - since) / bucketMs, points.length - 1)]!;
      point.completed += Number(row.completed ?? 0);
      point.failed += Number(row.failed ?? 0);
    }
  }
  return { window, bucketSeconds: bucketMs / 1000, points: points.map((p) => ({ ...p, at: iso(p.at) })) };
}
