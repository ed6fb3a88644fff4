import { rawSql } from "../db/raw";
import { TENANTS_WITH_JOBS } from "../engine/tenants";

/**
 * The monotonic totals GET /metrics reads (`job_metric_totals`, migration 0022), kept by the clock's
 * roll-up alone: no job write pays for them, and retention deleting a job takes nothing back.
 * Submissions are counted as the id watermark passes the jobs (`submittedStatement`, in the same
 * batch as `job_rollups`); finishes, retries and run times as `finished_before` passes the jobs'
 * `finished_at`, a minute behind the clock like the watermark (`rollUpFinishes`). A job row holds
 * only its latest finish: one that is replayed within that minute has its first finish missed.
 */

/** Histogram bounds of a job's run time (first start to finish), in seconds, each with its column. */
export const DURATION_BUCKETS = [
  { le: 0.1, column: "le_100ms" },
  { le: 0.5, column: "le_500ms" },
  { le: 1, column: "le_1s" },
  { le: 5, column: "le_5s" },
  { le: 15, column: "le_15s" },
  { le: 60, column: "le_60s" },
  { le: 300, column: "le_300s" },
  { le: 1800, column: "le_1800s" },
] as const;

/** As ROLLUP_LAG_MS for ids: a finish is written within its request, well inside a minute. */
export const FINISH_LAG_MS = 60_000;
/** At most this much finish time per tick, so a clock that stood still catches up over several ticks. */
export const FINISH_STEP_MS = 3_600_000;

const BUCKET_SUMS = DURATION_BUCKETS.map((b) => `sum(run_ms IS NOT NULL AND run_ms <= ${b.le * 1000})`).join(", ");
const ADD = (columns: string[]) => columns.map((c) => `${c} = ${c} + excluded.${c}`).join(", ");
const FINISH_COLUMNS = ["completed", "failed", "retried", "runs", "run_ms", ...DURATION_BUCKETS.map((b) => b.column)];

/**
 * The jobs in [?1, ?2) counted as submitted, per tenant, type and lane: for `rollUp`'s batch, with
 * its arguments and its guard (`unmoved`), so a second roll-up at the same moment adds nothing twice.
 */
export function submittedStatement(db: D1Database, unmoved: string, from: string, to: string) {
  return db
    .prepare(
      `INSERT INTO job_metric_totals (tenant, type, priority, submitted)
       SELECT tenant, type, priority, count(*) FROM jobs WHERE id >= ?1 AND id < ?2 AND ${unmoved}
       GROUP BY tenant, type, priority
       ON CONFLICT (tenant, type, priority) DO UPDATE SET submitted = submitted + excluded.submitted`,
    )
    .bind(from, to);
}

/**
 * Counts the jobs that finished in [mark, limit) into the totals and moves the mark, in one batch
 * guarded by the mark, as `rollUp` is by the watermark. Each tenant's finishes are one range of
 * `jobs_tenant_finished`. A database whose mark is unset (never so after migration 0022) starts now.
 */
export async function rollUpFinishes(db: D1Database, now = Date.now()): Promise<void> {
  const limit = now - FINISH_LAG_MS;
  const mark = await rawSql(db)`SELECT finished_before AS at FROM job_rollup_marks WHERE name = 'jobs'`.first<{ at: number | null }>();
  if (!mark || (mark.at !== null && mark.at >= limit)) return;
  const from = mark.at ?? limit;
  const to = Math.min(limit, from + FINISH_STEP_MS);
  const unmoved = "(SELECT finished_before FROM job_rollup_marks WHERE name = 'jobs') IS ?1";
  await db.batch([
    db
      .prepare(
        `${TENANTS_WITH_JOBS}
         INSERT INTO job_metric_totals (tenant, type, priority, ${FINISH_COLUMNS.join(", ")})
         SELECT tenant, type, priority, sum(status = 'completed'), sum(status = 'failed'), sum(max(attempts - 1, 0)),
           count(run_ms), coalesce(sum(run_ms), 0), ${BUCKET_SUMS}
         FROM (
           SELECT tenant, type, priority, status, attempts, finished_at - started_at AS run_ms FROM jobs
           WHERE tenant IN (SELECT tenant FROM tenants) AND finished_at >= ?2 AND finished_at < ?3
             AND +status IN ('completed', 'failed') AND ${unmoved}
         )
         GROUP BY tenant, type, priority
         ON CONFLICT (tenant, type, priority) DO UPDATE SET ${ADD(FINISH_COLUMNS)}`,
      )
      .bind(mark.at, from, to),
    db.prepare(`UPDATE job_rollup_marks SET finished_before = ?2 WHERE name = 'jobs' AND ${unmoved}`).bind(mark.at, to),
  ]);
}
