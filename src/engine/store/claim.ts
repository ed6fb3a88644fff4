import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type RawSql, rowsOf } from "../../db/raw";
import { jobs } from "../../db/schema";
import { CLAIMED_LIST, type ClaimedJob, FEED_WATCHED } from "./columns";
import { GATED_ADMISSION, throttleDefaults } from "./gates";

/**
 * queued|retrying -> running: the claim. `claim` takes those of `ids` that are due, whose lane is
 * not paused and, for gated jobs, that get through their gates (see gates.ts). The job row holds
 * the attempt it starts (`attempt_started_at`, `attempt_outcome`); the attempt it replaces, if
 * any, was written to `attempts` when it ended (see settle.ts). A durable job that is retrying
 * belongs to its Workflow, which claims its next attempt itself (`claimRetry`).
 *
 * The bulk statement looks jobs up by primary key; a unary `+` on `status` keeps SQLite from
 * preferring that column's index, which would scan every waiting job instead.
 */
export function claimStatements(db: D1Database, ids: string[], token: string, now: number) {
  return [
    db.prepare(`
      UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, ?2),
             attempt_started_at = ?2, attempt_outcome = 'running',
             heartbeat_at = ?2, claim_token = ?4, dispatch_due_at = NULL
      WHERE id IN (SELECT value FROM json_each(?1))
        AND (+status = 'queued' OR (+status = 'retrying' AND durable = 0)) AND run_at <= ?2
        AND NOT EXISTS (SELECT 1 FROM lanes WHERE lanes.name = jobs.priority AND lanes.paused = 1)
        AND (gated = 0 OR ${GATED_ADMISSION})
      RETURNING ${CLAIMED_LIST.text}`)
      .bind(JSON.stringify(ids), now, throttleDefaults(), token),
  ];
}

/** The jobs a `claimStatements` batch took. */
export function claimedBy(results: D1Result[]): ClaimedJob[] {
  return rowsOf<ClaimedJob>(results, 0);
}

/** Claims in one round trip. */
export async function claim(db: D1Database, ids: string[], token: string, now: number): Promise<ClaimedJob[]> {
  if (ids.length === 0) return [];
  return claimedBy(await db.batch(claimStatements(db, ids, token, now)));
}

/** retrying -> running for a durable job's next attempt, taken by its own Workflow after the backoff. */
export async function claimRetry(db: Database, jobId: string, series: number, token: string, now: number) {
  return db
    .update(jobs)
    .set({
      status: "running",
      attempts: sql`${jobs.attempts} + 1`,
      attemptStartedAt: now,
      attemptOutcome: "running",
      heartbeatAt: now,
      claimToken: token,
    })
    .where(and(eq(jobs.id, jobId), eq(jobs.series, series), eq(jobs.status, "retrying")))
    .returning({ attempt: jobs.attempts, watched: jobs.watched, feed: sql<number>`${sql.raw(FEED_WATCHED())}` })
    .get();
}

/**
 * Due jobs of a lane still waiting for their queue message, oldest first: a consumer whose own
 * jobs run long takes these itself, so no job waits behind a slow consumer batch for its message
 * to be delivered. Only jobs whose message is `minWaitMs` late count: a job whose message is on
 * its way is left to it. Parked jobs (no message due) are not taken; their gates decide when they go, and
 * neither are durable jobs asleep in their backoff: their Workflow claims their next attempt.
 */
export async function dueWithoutConsumer(sql: RawSql, lane: string, now: number, minWaitMs: number, limit: number) {
  // Ordered by when their message was due, the key of the waiting index after the lane.
  const { results } = await sql`
    SELECT id FROM jobs
    WHERE priority = ${lane} AND status IN ('queued', 'retrying') AND dispatch_due_at <= ${now - minWaitMs}
      AND run_at <= ${now} AND NOT (status = 'retrying' AND durable = 1)
    ORDER BY dispatch_due_at LIMIT ${limit}`.all<{ id: string }>();
  return results.map((r) => r.id);
}
