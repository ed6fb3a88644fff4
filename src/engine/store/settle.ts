import type { RawSql } from "../../db/raw";
import { jsonChunks, withoutNulls } from "../json-chunks";
import { SqlText } from "../../db/raw";
import { type FeedFlag, HAS_WEBHOOKS, type HookFlag, type JobRow, feedFlag, jobFields } from "./columns";

/**
 * What a settle answers of each job it moved: the rest of a `MovedJob` is the settlement itself
 * (its slot is freed in the same batch). Kept short: a settle moves up to a thousand jobs.
 * Tenant, type and priority are for the tenant's live feed.
 */
const SETTLED_FIELDS = ["id", "tenant", "type", "priority", "watched"] as const;
const SETTLED_LIST = new SqlText(`${jobFields(SETTLED_FIELDS)}, ${feedFlag()}, ${HAS_WEBHOOKS()} AS "hooked"`);
export type SettledRow = Pick<JobRow, (typeof SETTLED_FIELDS)[number]> & FeedFlag & HookFlag;

/**
 * running -> completed|retrying|failed (settle), and what a running attempt writes on its way:
 * heartbeats with throttled progress, and logs.
 */

export type SettledStatus = "completed" | "retrying" | "failed";

/** What one finished attempt leads to; computed by `decide` in settle.ts. */
export interface Settlement {
  id: string;
  token: string;
  series: number;
  attempt: number;
  status: SettledStatus;
  outcome: "succeeded" | "failed" | "timed_out";
  result: string | null;
  error: string | null;
  runAt: number | null;
  dispatchDueAt: number | null;
  percent: number | null;
  stage: string | null;
  message: string | null;
}

/**
 * running -> completed|retrying|failed, for attempts still holding their claim. The job row keeps
 * the finished attempt's outcome; an attempt that a retry will replace is also written to
 * `attempts` (the only attempt rows a job writes: one that succeeds first time writes none). Then
 * any dead letters.
 */
export function settleStatements(sql: RawSql, settlements: Settlement[], now: number) {
  const chunks = jsonChunks(settlements.map(withoutNulls));
  const jobUpdates = chunks.map(
    (chunk) => sql`
      UPDATE jobs SET
        status = s.value->>'status',
        attempt_outcome = s.value->>'outcome',
        result = s.value->>'result',
        error = s.value->>'error',
        finished_at = CASE WHEN s.value->>'status' = 'retrying' THEN NULL ELSE ${now} END,
        run_at = coalesce(s.value->>'runAt', run_at),
        dispatch_due_at = s.value->>'dispatchDueAt',
        heartbeat_at = NULL,
        claim_token = NULL,
        progress_percent = CASE WHEN s.value->>'status' = 'completed' THEN 100
                                ELSE coalesce(s.value->>'percent', progress_percent) END,
        progress_stage = coalesce(s.value->>'stage', progress_stage),
        progress_message = coalesce(s.value->>'message', progress_message)
      FROM jsonb_each(${chunk}) AS s
      WHERE jobs.id = s.value->>'id' AND +jobs.status = 'running' AND jobs.claim_token = s.value->>'token'
      RETURNING ${SETTLED_LIST}`,
  );
  const retrying = settlements.filter((s) => s.status === "retrying").map((s) => s.id);
  const replaced = retrying.length === 0 ? [] : [replacedAttemptStatement(sql, retrying, now)];
  const failed = settlements.filter((s) => s.status === "failed").map((s) => s.id);
  const deadLetters = failed.length === 0 ? [] : [deadLetterStatement(sql, failed, now)];
  return { jobUpdates, rest: [...replaced, ...deadLetters] };
}

/**
 * Writes the attempt each of `ids` just finished, as its job row holds it, to `attempts`: for jobs
 * settled as retrying, whose next attempt will take the row's place.
 */
function replacedAttemptStatement(sql: RawSql, ids: string[], now: number) {
  return sql`
    INSERT INTO attempts (job_id, series, attempt, started_at, finished_at, outcome, error)
    SELECT id, series, attempts, coalesce(attempt_started_at, ${now}), ${now}, attempt_outcome, error FROM jobs
    WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) AND +status = 'retrying'
      AND attempt_outcome IN ('failed', 'timed_out')
    ON CONFLICT DO NOTHING`;
}

export interface Heartbeat {
  id: string;
  token: string;
  percent: number | null;
  stage: string | null;
  message: string | null;
}

/**
 * Proves the holder is alive and writes the latest progress (progress reaches D1 only here, so
 * it is throttled to the heartbeat rate). Jobs missing from the answer were cancelled.
 */
export function heartbeatStatement(sql: RawSql, beats: Heartbeat[], now: number) {
  return sql`
    UPDATE jobs SET heartbeat_at = ${now},
      progress_percent = coalesce(h.value->>'percent', progress_percent),
      progress_stage = coalesce(h.value->>'stage', progress_stage),
      progress_message = coalesce(h.value->>'message', progress_message)
    FROM jsonb_each(${JSON.stringify(beats)}) AS h
    WHERE jobs.id = h.value->>'id' AND +jobs.status = 'running' AND +jobs.claim_token = h.value->>'token'
    RETURNING jobs.id AS id, jobs.watched AS watched, ${new SqlText(feedFlag())}`;
}

export interface LogEntry {
  jobId: string;
  at: number;
  attempt: number;
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

/** Writes log entries; one already written (same job, attempt, instant and message) is not written again. */
export function logStatements(sql: RawSql, entries: LogEntry[]) {
  return jsonChunks(entries).map((chunk) =>
    sql`
      INSERT INTO job_logs (job_id, at, attempt, level, message)
      SELECT l.value->>'jobId', l.value->>'at', l.value->>'attempt', l.value->>'level', l.value->>'message'
      FROM jsonb_each(${chunk}) AS l
      WHERE NOT EXISTS (SELECT 1 FROM job_logs e WHERE e.job_id = l.value->>'jobId' AND e.at = l.value->>'at'
                          AND e.attempt = l.value->>'attempt' AND e.message = l.value->>'message')`,
  );
}


/**
 * Lists the jobs among `ids` that failed at `now` as dead letters. A job that failed before (and
 * was replayed) takes its new failure's time and error: one row per job, always the latest.
 */
export function deadLetterStatement(sql: RawSql, ids: string[], now: number) {
  return sql`
    INSERT INTO dead_letters (job_id, tenant, failed_at, error)
    SELECT id, tenant, ${now}, error FROM jobs
    WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) AND +status = 'failed' AND finished_at = ${now}
    ON CONFLICT (job_id) DO UPDATE SET failed_at = excluded.failed_at, error = excluded.error`;
}
