import { and, eq, getTableColumns, inArray, isNotNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type RawSql, rowsOf } from "../../db/raw";
import { attempts, batchItems, deadLetters, jobs } from "../../db/schema";
import { FEED_WATCHED, type FeedFlag, HAS_WEBHOOKS, type HookFlag, type JobRow, MOVED_LIST, type MovedJob } from "./columns";
import { deadLetterStatement } from "./settle";

/**
 * The arrows of the state diagram that are not a claim or a settle: cancel, requeue (retry and
 * dead-letter replay) and fail-as-lost. Each is one conditional update in one D1 batch and
 * answers the rows that moved; the caller hands them to `afterMoves` (moves.ts).
 */

/** A moved job row as drizzle answers it, with whether its tenant's feed is watched. */
const MOVED_ROW = { ...getTableColumns(jobs), feed: sql<number>`${sql.raw(FEED_WATCHED())}`, hooked: sql<number>`${sql.raw(HAS_WEBHOOKS())}` };

/** queued|running|retrying -> cancelled, with the running attempt and the batch's pending items. */
export async function cancel(db: Database, job: Pick<JobRow, "id" | "series">, now: number): Promise<(JobRow & FeedFlag & HookFlag) | undefined> {
  const [updated] = await db.batch([
    db
      .update(jobs)
      .set({
        status: "cancelled",
        finishedAt: now,
        claimToken: null,
        dispatchDueAt: null,
        heartbeatAt: null,
        attemptOutcome: sql`CASE WHEN ${jobs.attemptOutcome} = 'running' THEN 'cancelled' ELSE ${jobs.attemptOutcome} END`,
      })
      .where(and(eq(jobs.id, job.id), inArray(jobs.status, ["queued", "running", "retrying"])))
      .returning(MOVED_ROW),
    // A batch's items that have not run yet are cancelled with it.
    db.update(batchItems).set({ status: "cancelled", finishedAt: now }).where(and(eq(batchItems.jobId, job.id), eq(batchItems.status, "pending"))),
  ]);
  return updated[0];
}

/** The attempt a job row holds, written to `attempts` before a new series replaces it. */
function archiveAttempt(db: Database, id: string, statuses: JobRow["status"][], now: number) {
  return db
    .insert(attempts)
    .select(
      db
        .select({
          jobId: jobs.id,
          series: jobs.series,
          attempt: jobs.attempts,
          startedAt: sql<number>`coalesce(${jobs.attemptStartedAt}, ${now})`.as("started_at"),
          finishedAt: sql<number>`coalesce(${jobs.finishedAt}, ${now})`.as("finished_at"),
          outcome: sql<NonNullable<JobRow["attemptOutcome"]>>`${jobs.attemptOutcome}`.as("outcome"),
          error: jobs.error,
        })
        .from(jobs)
        .where(and(eq(jobs.id, id), inArray(jobs.status, statuses), isNotNull(jobs.attemptOutcome))),
    )
    .onConflictDoNothing();
}

/**
 * failed|cancelled -> queued as a fresh attempt series (a manual retry or a dead-letter replay):
 * the last attempt is kept in `attempts`, attempts count from 1 again, the last run's result,
 * timing and progress are cleared, and the job leaves the dead-letter list.
 */
export async function requeue(db: Database, id: string, now: number): Promise<(JobRow & FeedFlag & HookFlag) | undefined> {
  const [, updated] = await db.batch([
    archiveAttempt(db, id, ["failed", "cancelled"], now),
    db
      .update(jobs)
      .set({
        status: "queued",
        attempts: 0,
        series: sql`${jobs.series} + 1`,
        result: null,
        error: null,
        startedAt: null,
        finishedAt: null,
        heartbeatAt: null,
        claimToken: null,
        attemptStartedAt: null,
        attemptOutcome: null,
        runAt: now,
        dispatchDueAt: now,
        progressPercent: 0,
        progressStage: null,
        progressMessage: null,
      })
      .where(and(eq(jobs.id, id), inArray(jobs.status, ["failed", "cancelled"])))
      .returning(MOVED_ROW),
    db.delete(deadLetters).where(eq(deadLetters.jobId, id)),
  ]);
  return updated[0];
}

export interface LostAttempt {
  id: string;
  series: number;
  /** What the lost attempt is failed with (an ErrorInfo as JSON). */
  error: string;
}

/**
 * running|retrying -> queued|failed for a durable job whose Workflow instance was lost. The lost
 * attempt counts as a failed one, so a job whose instance is lost every time runs out of attempts
 * like any other. One with attempts left continues under a new instance (the next series) that
 * starts from its first unfinished step: the checkpoints of the lost series are carried over.
 * Unlike a manual retry this continues the same run, so progress and start time are kept.
 */
export async function failLost(sql: RawSql, db: D1Database, lost: LostAttempt, now: number): Promise<MovedJob[]> {
  const { id, series, error } = lost;
  const results = await db.batch([
    // The lost attempt, failed; the job row moves on to the next series (or fails below).
    sql`INSERT INTO attempts (job_id, series, attempt, started_at, finished_at, outcome, error)
        SELECT id, series, attempts, coalesce(attempt_started_at, ${now}), ${now}, 'failed', ${error} FROM jobs
        WHERE id = ${id} AND series = ${series} AND status IN ('running', 'retrying') AND attempts < max_attempts
          AND attempts > 0
        ON CONFLICT DO NOTHING`,
    sql`INSERT INTO job_steps (job_id, series, name, value, at)
        SELECT job_id, series + 1, name, value, at FROM job_steps WHERE job_id = ${id} AND series = ${series}
          AND EXISTS (SELECT 1 FROM jobs WHERE jobs.id = ${id} AND jobs.series = ${series}
                        AND status IN ('running', 'retrying') AND attempts < max_attempts)
        ON CONFLICT DO NOTHING`,
    sql`UPDATE jobs SET status = 'queued', series = series + 1, run_at = ${now}, dispatch_due_at = ${now},
               claim_token = NULL, heartbeat_at = NULL, error = ${error}, attempt_started_at = NULL, attempt_outcome = NULL
        WHERE id = ${id} AND series = ${series} AND status IN ('running', 'retrying') AND attempts < max_attempts
        RETURNING ${MOVED_LIST}`,
    sql`UPDATE jobs SET status = 'failed', finished_at = ${now}, claim_token = NULL, heartbeat_at = NULL, error = ${error},
               attempt_outcome = 'failed'
        WHERE id = ${id} AND series = ${series} AND status IN ('running', 'retrying')
        RETURNING ${MOVED_LIST}`,
    deadLetterStatement(sql, [id], now),
  ]);
  return [...rowsOf<MovedJob>(results, 2), ...rowsOf<MovedJob>(results, 3)];
}
