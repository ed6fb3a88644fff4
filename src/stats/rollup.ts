import { everyDatabase } from "../db/shards";
import { rawSql } from "../db/raw";
import { idLowerBound } from "../engine/ids";

/**
 * The clock's roll-up: moves each database's watermark up to the jobs created a minute ago, adding
 * the jobs it passes to `job_rollups` under their status (and to `job_finishes` if they finished
 * in the last two hours). A job's id is taken when it is submitted and its row is written within
 * the same request, so a minute behind the clock no job can still appear below the watermark.
 */
export const ROLLUP_LAG_MS = 60_000;
/** Jobs passed per step: one step is one D1 batch that reads them twice. */
export const ROLLUP_STEP_JOBS = 50_000;
/** Steps per tick, so that a large backlog (the first roll-up of a full database) spreads over ticks. */
export const ROLLUP_STEPS_PER_TICK = 40;
/** How long per-minute finish counts are kept: the stats read the last hour. */
export const FINISHES_KEPT_MS = 2 * 3_600_000;
const MINUTE_MS = 60_000;

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
 * Every statement holds only while the watermark is still `from`, so a second roll-up running at
 * the same moment (two ticks) adds nothing twice.
 */
async function rollUp(db: D1Database, from: string, to: string, now: number): Promise<void> {
  const keepFrom = Math.floor((now - FINISHES_KEPT_MS) / MINUTE_MS) * MINUTE_MS;
  const unmoved = "(SELECT watermark FROM job_rollup_marks WHERE name = 'jobs') = ?1";
  const inRange = `id >= ?1 AND id < ?2 AND ${unmoved}`;
  await db.batch([
    db
      .prepare(
        `INSERT INTO job_rollups (tenant, type, priority, queued, retrying, running, completed, failed, cancelled)
         SELECT tenant, type, priority, ${STATUS_SUMS} FROM jobs WHERE ${inRange}
         GROUP BY tenant, type, priority
         ON CONFLICT (tenant, type, priority) DO UPDATE SET ${ADD_COUNTS}`,
      )
      .bind(from, to),
    db
      .prepare(
        `INSERT INTO job_finishes (tenant, minute, completed, failed)
         SELECT tenant, finished_at / ${MINUTE_MS} * ${MINUTE_MS}, sum(status = 'completed'), sum(status = 'failed')
         FROM jobs WHERE ${inRange} AND status IN ('completed', 'failed') AND finished_at >= ?3
         GROUP BY 1, 2
         ON CONFLICT (tenant, minute) DO UPDATE SET completed = completed + excluded.completed, failed = failed + excluded.failed`,
      )
      .bind(from, to, keepFrom),
    db.prepare(`UPDATE job_rollup_marks SET watermark = ?2, rolled_at = ?3 WHERE name = 'jobs' AND ${unmoved}`).bind(from, to, now),
    db.prepare("DELETE FROM job_finishes WHERE minute < ?1").bind(keepFrom),
  ]);
}
