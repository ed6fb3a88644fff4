import type { RawSql } from "../db/raw";

/**
 * Retention deletes finished jobs; those already rolled up must leave the roll-ups in the same
 * transaction. This statement goes into the deleting batch right before the delete
 * (`deleteFinishedStatements` in src/engine/store/removal.ts), with the same arguments and the
 * same conditions, so it subtracts exactly the jobs the delete removes: one grouped update per
 * batch of deleted jobs, not a write per job.
 */
export function forgetExpiredStatement(sql: RawSql, tenant: string, cutoff: number, doomed: string) {
  return sql`
    UPDATE job_rollups SET completed = job_rollups.completed - d.completed, failed = job_rollups.failed - d.failed,
      cancelled = job_rollups.cancelled - d.cancelled
    FROM (
      SELECT type, priority, sum(status = 'completed') AS completed, sum(status = 'failed') AS failed, sum(status = 'cancelled') AS cancelled
      FROM jobs
      WHERE id IN (SELECT value FROM json_each(${doomed}))
        AND +tenant = ${tenant} AND +finished_at < ${cutoff} AND +status IN ('completed', 'failed', 'cancelled')
        AND id < (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')
      GROUP BY type, priority
    ) AS d
    WHERE job_rollups.tenant = ${tenant} AND job_rollups.type = d.type AND job_rollups.priority = d.priority`;
}
