/**
 * The monotonic totals GET /metrics reads (`job_metric_totals`, migration 0022), kept by the clock's
 * roll-up: a job's own writes pay for them only when it finishes after the roll-up passed it, and
 * retention deleting a job takes nothing back.
 * Submissions are counted as the id watermark passes the jobs (`submittedStatement`, in the same
 * batch as `job_rollups`), and so are the finishes, retries and run times of the jobs that have
 * finished by then (`finishedStatement`); a job the watermark passed before it finished is counted
 * by the status trigger when it does (migration 0029), as a replayed one is each time it finishes.
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
 * The finishes (completed or failed), retries and run times of the jobs in [?1, ?2) that have
 * finished, per tenant, type and lane: for `rollUp`'s batch, guarded like `submittedStatement`.
 */
export function finishedStatement(db: D1Database, unmoved: string, from: string, to: string) {
  return db
    .prepare(
      `INSERT INTO job_metric_totals (tenant, type, priority, ${FINISH_COLUMNS.join(", ")})
       SELECT tenant, type, priority, sum(status = 'completed'), sum(status = 'failed'), sum(max(attempts - 1, 0)),
         count(run_ms), coalesce(sum(run_ms), 0), ${BUCKET_SUMS}
       FROM (
         SELECT tenant, type, priority, status, attempts, finished_at - started_at AS run_ms FROM jobs
         WHERE id >= ?1 AND id < ?2 AND ${unmoved} AND status IN ('completed', 'failed')
       )
       GROUP BY tenant, type, priority
       ON CONFLICT (tenant, type, priority) DO UPDATE SET ${ADD(FINISH_COLUMNS)}`,
    )
    .bind(from, to);
}
