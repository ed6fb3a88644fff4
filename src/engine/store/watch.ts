import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type RawSql, SqlText } from "../../db/raw";
import { jobs } from "../../db/schema";
import { type FeedFlag, type JobRow, feedFlag } from "./columns";

/**
 * The writes that concern a job's watchers: the flag that makes runners publish, and a durable
 * attempt's throttled progress (a direct attempt's rides in its heartbeat).
 */

/** Someone subscribed: runners publish live events from their next write on. Answers the job as it is. */
export async function markWatched(db: Database, jobId: string): Promise<JobRow | undefined> {
  return db.update(jobs).set({ watched: 1 }).where(eq(jobs.id, jobId)).returning().get();
}

/** A durable attempt's progress, with a heartbeat, while it holds its claim; answers whether it (or its tenant's feed) is watched. */
export async function writeProgress(
  sql: RawSql,
  at: { jobId: string; claimToken: string; now: number },
  progress: { percent: number; stage: string | null; message: string | null },
) {
  return sql`
    UPDATE jobs SET heartbeat_at = ${at.now}, progress_percent = ${progress.percent},
           progress_stage = ${progress.stage}, progress_message = ${progress.message}
    WHERE id = ${at.jobId} AND status = 'running' AND claim_token = ${at.claimToken}
    RETURNING watched, ${new SqlText(feedFlag())}`.first<{ watched: number } & FeedFlag>();
}
