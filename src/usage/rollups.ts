import { DAY_MS } from "./ledger";

/**
 * The ledger's job counts, kept by the clock's roll-up (src/stats/rollup.ts) from what it reads
 * anyway, so no job's own writes pay for them. Each statement joins the roll-up's batch and holds
 * only under its guard (`unmoved`), as the roll-up's own statements do.
 */

const ADD_FINISHES = "jobs_completed = jobs_completed + excluded.jobs_completed, jobs_failed = jobs_failed + excluded.jobs_failed, jobs_cancelled = jobs_cancelled + excluded.jobs_cancelled";

/** The jobs in [?1, ?2) counted as submitted on the day they were created, per tenant. */
export function submittedDaysStatement(db: D1Database, unmoved: string, from: string, to: string) {
  return db
    .prepare(
      `INSERT INTO usage_days (tenant, day, jobs_submitted)
       SELECT tenant, created_at / ${DAY_MS} * ${DAY_MS}, count(*) FROM jobs WHERE id >= ?1 AND id < ?2 AND ${unmoved}
       GROUP BY 1, 2
       ON CONFLICT (tenant, day) DO UPDATE SET jobs_submitted = jobs_submitted + excluded.jobs_submitted`,
    )
    .bind(from, to);
}

/**
 * Finishes the roll-up writes straight to `job_finish_hours` (older than two hours when it first
 * sees them): counted on their day at once, since no minute of theirs will be folded later.
 * `inRange` is the roll-up's condition on the jobs in [?1, ?2); ?3 is where minutes are kept from.
 */
export function finishedDaysStatement(db: D1Database, inRange: string, from: string, to: string, keepFrom: number) {
  return db
    .prepare(
      `INSERT INTO usage_days (tenant, day, jobs_completed, jobs_failed, jobs_cancelled)
       SELECT tenant, finished_at / ${DAY_MS} * ${DAY_MS}, sum(status = 'completed'), sum(status = 'failed'), sum(status = 'cancelled')
       FROM jobs WHERE ${inRange} AND finished_at < ?3
       GROUP BY 1, 2
       ON CONFLICT (tenant, day) DO UPDATE SET ${ADD_FINISHES}`,
    )
    .bind(from, to, keepFrom);
}

/**
 * The minutes before ?1 counted on their day, in the batch that folds them into their hours and
 * deletes them: every finish is in the ledger once, from its minute (GET /usage adds the minutes
 * still kept). `withMinutes` is the roll-up's `m(tenant)` term.
 */
export function foldedDaysStatement(db: D1Database, withMinutes: string, keepFrom: number) {
  return db
    .prepare(
      `${withMinutes} INSERT INTO usage_days (tenant, day, jobs_completed, jobs_failed, jobs_cancelled)
       SELECT tenant, minute / ${DAY_MS} * ${DAY_MS}, sum(completed), sum(failed), sum(cancelled) FROM job_finishes
       WHERE tenant IN (SELECT tenant FROM m) AND minute < ?1
       GROUP BY 1, 2
       ON CONFLICT (tenant, day) DO UPDATE SET ${ADD_FINISHES}`,
    )
    .bind(keepFrom);
}
