import { everyDatabase } from "../db/shards";
import { rawSql } from "../db/raw";
import { idLowerBound } from "../engine/ids";
import { distinctTenants } from "../engine/tenants";
import { finishedDaysStatement, foldedDaysStatement, submittedDaysStatement } from "../usage/rollups";
import { finishedStatement, submittedStatement } from "./totals";

/**
 * The clock's roll-up: moves each database's watermark up to the jobs created a minute ago, adding
 * the jobs it passes to `job_rollups` under their status and their finishes (if finished) to
 * `job_finishes` or, older than two hours, to `job_finish_hours`; and folds the minutes older than
 * two hours into their hours. A job's id is taken when it is submitted and its row is written within
 * the same request, so a minute behind the clock no job can still appear below the watermark.
 */
export const ROLLUP_LAG_MS = 60_000;
/** Jobs passed per step: one step is one D1 batch that reads them three times. */
export const ROLLUP_STEP_JOBS = 50_000;
/** Steps per tick, so that a large backlog (the first roll-up of a full database) spreads over ticks. */
export const ROLLUP_STEPS_PER_TICK = 40;
/**
 * How long finishes are counted per minute: the stats read the last hour from the minutes alone, so
 * a minute is folded into its hour only once it is past every reader's hour window.
 */
export const FINISHES_KEPT_MS = 2 * 3_600_000;
/** How long per-hour finish counts are kept: the stats read the last week, from the start of its first hour. */
export const FINISH_HOURS_KEPT_MS = 8 * 86_400_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** `t(tenant)`: the tenants with hours kept; `m(tenant)`: with minutes kept. */
const TENANTS_WITH_HOURS = `WITH RECURSIVE ${distinctTenants("t", "job_finish_hours")}`;
const TENANTS_WITH_MINUTES = `WITH RECURSIVE ${distinctTenants("m", "job_finishes")}`;
/**
 * A job row holds its latest finish only: one it had before a retry was counted by the trigger.
 * Cancellations are counted beside finishes, for the usage ledger (the stats read only these two).
 */
const FINISHED_SUMS = "sum(status = 'completed'), sum(status = 'failed'), sum(status = 'cancelled')";
const ADD_FINISHES = "completed = completed + excluded.completed, failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled";

const STATUS_SUMS = `sum(status = 'queued'), sum(status = 'retrying'), sum(status = 'running'),
  sum(status = 'completed'), sum(status = 'failed'), sum(status = 'cancelled')`;
const ADD_COUNTS = `queued = queued + excluded.queued, retrying = retrying + excluded.retrying, running = running + excluded.running,
  completed = completed + excluded.completed, failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled`;

export interface RollupReport {
  databases: number;
  /** Steps taken: each rolled up at most ROLLUP_STEP_JOBS jobs. */
  steps: number;
  /** A database still has jobs to roll up past this tick's steps. */
  more: boolean;
}

/**
 * Rolls up every database that holds tenant data. It reads the real clock, never a tick's planned
 * time: a watermark ahead of the clock would pass jobs whose rows are not written yet.
 */
export async function rollUpJobs(env: Env): Promise<RollupReport> {
  const report: RollupReport = { databases: 0, steps: 0, more: false };
  for (const { db } of everyDatabase(env)) {
    const done = await rollUpDatabase(db);
    report.databases += 1;
    report.steps += done.steps;
    report.more ||= done.more;
  }
  return report;
}

/** Moves one database's watermark as far as a minute ago (the real clock, like `rollUpJobs`), a step at a time. */
export async function rollUpDatabase(db: D1Database, maxSteps = ROLLUP_STEPS_PER_TICK, stepJobs = ROLLUP_STEP_JOBS) {
  const now = Date.now();
  const limit = idLowerBound("job", now - ROLLUP_LAG_MS);
  const done = { steps: 0, more: false };
  while (done.steps < maxSteps) {
    const step = await nextStep(db, limit, stepJobs);
    if (!step) return done;
    await rollUp(db, step.from, step.to, now);
    done.steps += 1;
    if (step.to === limit) return done;
  }
  done.more = true;
  return done;
}

/** The range the next step covers: from the watermark, at most `stepJobs` jobs and never past `limit`. */
async function nextStep(db: D1Database, limit: string, stepJobs: number) {
  const row = await rawSql(db)`
    SELECT watermark,
      (SELECT id FROM jobs WHERE id >= m.watermark AND id < ${limit} ORDER BY id LIMIT 1 OFFSET ${stepJobs}) AS next
    FROM job_rollup_marks m WHERE name = 'jobs'`.first<{ watermark: string; next: string | null }>();
  if (!row || row.watermark >= limit) return undefined;
  return { from: row.watermark, to: row.next ?? limit };
}

/**
 * One transaction: counts the jobs in [from, to) into the roll-ups and moves the watermark to `to`.
 * Every statement on the jobs holds only while the watermark is still `from`, so a second roll-up
 * running at the same moment (two ticks) adds nothing twice. A finish goes to its minute or, older
 * than `keepFrom`, to its hour, never both; the minutes before `keepFrom` (the trigger may still
 * add to one) are folded into their hours and deleted together, so a second fold finds none.
 */
async function rollUp(db: D1Database, from: string, to: string, now: number): Promise<void> {
  const keepFrom = Math.floor((now - FINISHES_KEPT_MS) / MINUTE_MS) * MINUTE_MS;
  const keepHoursFrom = Math.floor((now - FINISH_HOURS_KEPT_MS) / HOUR_MS) * HOUR_MS;
  const unmoved = "(SELECT watermark FROM job_rollup_marks WHERE name = 'jobs') = ?1";
  const inRange = `id >= ?1 AND id < ?2 AND ${unmoved} AND status IN ('completed', 'failed', 'cancelled')`;
  await db.batch([
    db
      .prepare(
        `INSERT INTO job_rollups (tenant, type, priority, queued, retrying, running, completed, failed, cancelled)
         SELECT tenant, type, priority, ${STATUS_SUMS} FROM jobs WHERE id >= ?1 AND id < ?2 AND ${unmoved}
         GROUP BY tenant, type, priority
         ON CONFLICT (tenant, type, priority) DO UPDATE SET ${ADD_COUNTS}`,
      )
      .bind(from, to),
    submittedStatement(db, unmoved, from, to),
    finishedStatement(db, unmoved, from, to),
    submittedDaysStatement(db, unmoved, from, to),
    db
      .prepare(
        `INSERT INTO job_finishes (tenant, minute, completed, failed, cancelled)
         SELECT tenant, finished_at / ${MINUTE_MS} * ${MINUTE_MS}, ${FINISHED_SUMS} FROM jobs WHERE ${inRange} AND finished_at >= ?3
         GROUP BY 1, 2
         ON CONFLICT (tenant, minute) DO UPDATE SET ${ADD_FINISHES}`,
      )
      .bind(from, to, keepFrom),
    db
      .prepare(
        `INSERT INTO job_finish_hours (tenant, hour, completed, failed, cancelled)
         SELECT tenant, finished_at / ${HOUR_MS} * ${HOUR_MS}, ${FINISHED_SUMS} FROM jobs
         WHERE ${inRange} AND finished_at >= ?3 AND finished_at < ?4
         GROUP BY 1, 2
         ON CONFLICT (tenant, hour) DO UPDATE SET ${ADD_FINISHES}`,
      )
      .bind(from, to, keepHoursFrom, keepFrom),
    finishedDaysStatement(db, inRange, from, to, keepFrom),
    db.prepare(`UPDATE job_rollup_marks SET watermark = ?2, rolled_at = ?3 WHERE name = 'jobs' AND ${unmoved}`).bind(from, to, now),
    // Each tenant's minutes and hours past keeping are one range of the key, found by a seek per
    // tenant: the kept ones are not read every minute to move or delete the few that expired.
    db
      .prepare(
        `${TENANTS_WITH_MINUTES} INSERT INTO job_finish_hours (tenant, hour, completed, failed, cancelled)
         SELECT tenant, minute / ${HOUR_MS} * ${HOUR_MS}, sum(completed), sum(failed), sum(cancelled) FROM job_finishes
         WHERE tenant IN (SELECT tenant FROM m) AND minute < ?1
         GROUP BY 1, 2
         ON CONFLICT (tenant, hour) DO UPDATE SET ${ADD_FINISHES}`,
      )
      .bind(keepFrom),
    foldedDaysStatement(db, TENANTS_WITH_MINUTES, keepFrom),
    db.prepare(`${TENANTS_WITH_MINUTES} DELETE FROM job_finishes WHERE tenant IN (SELECT tenant FROM m) AND minute < ?1`).bind(keepFrom),
    db.prepare(`${TENANTS_WITH_HOURS} DELETE FROM job_finish_hours WHERE tenant IN (SELECT tenant FROM t) AND hour < ?1`).bind(keepHoursFrom),
  ]);
}
