import type { RawSql } from "../../db/raw";

/**
 * Writes about a waiting job's queue message: when the next one is due, or that none is (parked).
 * The sweeper re-sends a message that is overdue, and leaves parked jobs to their gate or lane.
 */

/** Records when each job's new message is due, for jobs whose earlier message is gone. */
export async function markDispatched(sql: RawSql, due: { id: string; at: number }[]) {
  if (due.length === 0) return;
  await sql`
    UPDATE jobs SET dispatch_due_at = d.value->>'at' FROM jsonb_each(${JSON.stringify(due)}) AS d
    WHERE jobs.id = d.value->>'id' AND +jobs.status IN ('queued', 'retrying')`.run();
}

/** Parks jobs of a paused lane: no message is due for them until the lane resumes. */
export async function parkOnPausedLane(sql: RawSql, ids: string[]) {
  if (ids.length === 0) return;
  await sql`UPDATE jobs SET dispatch_due_at = NULL
            WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) AND +status IN ('queued', 'retrying')`.run();
}
