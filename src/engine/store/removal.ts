import { and, eq, sql as drizzleSql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type RawSql, SqlText } from "../../db/raw";
import { deadLetters } from "../../db/schema";
import { MOVED_LIST } from "./columns";

/**
 * The writes that take jobs, or their dead letters, away: retention's deletes and the
 * dead-letter list's own removals; and the cancel of a schedule's planned runs.
 */

/**
 * Deletes the jobs among `doomed` (a JSON list of ids) that finished before `cutoff`, then the
 * attempts, logs, checkpoints and dead letters of theirs that no longer have a job (their tags first). Statements
 * for the caller's batch, so that other tables go in the same transaction.
 */
export function deleteFinishedStatements(sql: RawSql, tenant: string, cutoff: number, doomed: string) {
  const orphaned = (table: "attempts" | "job_logs" | "job_steps" | "dead_letters") => {
    const name = new SqlText(table);
    return sql`DELETE FROM ${name} WHERE job_id IN (SELECT value FROM json_each(${doomed}))
               AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = ${name}.job_id)`;
  };
  return {
    // Before the jobs, whose `tags` name the keys: job_tags has no index by job.
    tags: sql`
      DELETE FROM job_tags WHERE (tenant, tag, job_id) IN (
        SELECT j.tenant, t.value, j.id FROM jobs j, json_each(j.tags) AS t
        WHERE j.id IN (SELECT value FROM json_each(${doomed})) AND +j.tenant = ${tenant} AND +j.finished_at < ${cutoff}
          AND +j.status IN ('completed', 'failed', 'cancelled'))`,
    jobs: sql`
      DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(${doomed}))
        AND +tenant = ${tenant} AND +finished_at < ${cutoff} AND +status IN ('completed', 'failed', 'cancelled')
      RETURNING id, type`,
    attempts: orphaned("attempts"),
    logs: orphaned("job_logs"),
    rest: [orphaned("job_steps"), orphaned("dead_letters")],
  };
}

/** Removes one dead letter of the tenant; false when there was none. */
export async function removeDeadLetter(db: Database, tenant: string, jobId: string): Promise<boolean> {
  const deleted = await db
    .delete(deadLetters)
    .where(and(eq(deadLetters.jobId, jobId), eq(deadLetters.tenant, tenant)))
    .returning({ id: deadLetters.jobId });
  return deleted.length > 0;
}

/** Empties the tenant's dead-letter list; returns how many went. */
export async function purgeDeadLetters(db: Database, tenant: string): Promise<number> {
  const result = await db.run(drizzleSql`DELETE FROM ${deadLetters} WHERE ${deadLetters.tenant} = ${tenant}`);
  return result.meta.changes ?? 0;
}

/**
 * queued -> cancelled for a schedule's planned jobs (tagged `tag`) that are not due yet, or only
 * those of `only` (a JSON list): they also give up their idempotency keys, so a re-planned
 * instant gets a fresh job.
 */
export function cancelPlannedStatement(sql: RawSql, tenant: string, tag: string, now: number, only: string | null) {
  return sql`
    UPDATE jobs SET status = 'cancelled', finished_at = ${now}, dispatch_due_at = NULL, idempotency_key = NULL
    WHERE id IN (SELECT job_id FROM job_tags WHERE tenant = ${tenant} AND tag = ${tag})
      AND status = 'queued' AND run_at > ${now}
      AND (${only} IS NULL OR id IN (SELECT value FROM json_each(${only})))
    RETURNING ${MOVED_LIST}`;
}
