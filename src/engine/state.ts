import { type RawSql, rowsOf } from "../db/raw";
import { GATED_ADMISSION, throttleDefaults } from "./gates";
import { jsonChunks, withoutNulls } from "./json-chunks";

/**
 * The job state machine. Every transition is one conditional UPDATE, so at-least-once queue
 * delivery, a Workflow replay or a racing cancel can never run a job twice at once nor move it
 * backwards: whichever writer's WHERE clause still matches wins, the others change nothing.
 *
 *   queued   -> running (claim) | cancelled
 *   running  -> completed | retrying | failed | cancelled | queued (its Workflow instance was lost)
 *   retrying -> running (claim) | cancelled | queued (its Workflow instance was lost)
 *   failed, cancelled -> queued (retry / dead-letter replay, as a fresh attempt series)
 *   completed: final
 *
 * The bulk statements look jobs up by primary key; a unary `+` on `status` / `claim_token` keeps
 * SQLite from preferring those columns' indexes, which would scan every running job instead.
 */

export interface ClaimedJob {
  id: string;
  tenant: string;
  type: string;
  priority: string;
  input: string;
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  backoff: string;
  durable: number;
  series: number;
  watched: number;
  claimToken: string;
  /** 1 when the job held a concurrency slot or throttle start: settling it may let a waiting job in. */
  gated: number;
}

/**
 * queued|retrying -> running for those of `ids` that are due and whose lane is not paused, and, for
 * gated jobs, that get through their gates (see gates.ts). A durable job that is retrying belongs
 * to its Workflow, which claims its next attempt itself.
 */
export function claimStatements(db: D1Database, ids: string[], token: string, now: number) {
  const idsJson = JSON.stringify(ids);
  return [
    db.prepare(`
      UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, ?2),
             heartbeat_at = ?2, claim_token = ?4, dispatch_due_at = NULL
      WHERE id IN (SELECT value FROM json_each(?1))
        AND (+status = 'queued' OR (+status = 'retrying' AND durable = 0)) AND run_at <= ?2
        AND NOT EXISTS (SELECT 1 FROM lanes WHERE lanes.name = jobs.priority AND lanes.paused = 1)
        AND (gated = 0 OR ${GATED_ADMISSION})
      RETURNING id, tenant, type, priority, input, attempts AS attempt, max_attempts AS maxAttempts,
                timeout_ms AS timeoutMs, backoff, durable, series, watched, claim_token AS claimToken, gated`)
      .bind(idsJson, now, throttleDefaults(), token),
    db.prepare(`
      INSERT INTO attempts (job_id, series, attempt, started_at, outcome)
      SELECT id, series, attempts, ?2, 'running' FROM jobs
      WHERE id IN (SELECT value FROM json_each(?1)) AND +claim_token = ?3
      ON CONFLICT DO NOTHING`)
      .bind(idsJson, now, token),
  ];
}

/** The jobs a `claimStatements` batch took. */
export function claimedBy(results: D1Result[]): ClaimedJob[] {
  return rowsOf<ClaimedJob>(results, 0);
}

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
 * running -> completed|retrying|failed, for attempts still holding their claim. The job updates
 * come first (their answers say which jobs moved), then the attempts, then any dead letters.
 */
export function settleStatements(sql: RawSql, settlements: Settlement[], now: number) {
  const chunks = jsonChunks(settlements.map(withoutNulls));
  const jobUpdates = chunks.map(
    (chunk) => sql`
      UPDATE jobs SET
        status = s.value->>'status',
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
      WHERE jobs.id = s.value->>'id' AND +jobs.status = 'running' AND +jobs.claim_token = s.value->>'token'
      RETURNING jobs.id AS id, jobs.watched AS watched`,
  );
  const attemptUpdates = chunks.map(
    (chunk) => sql`
      UPDATE attempts SET finished_at = ${now}, outcome = s.value->>'outcome', error = s.value->>'error'
      FROM jsonb_each(${chunk}) AS s
      WHERE attempts.job_id = s.value->>'id' AND attempts.series = s.value->>'series'
        AND attempts.attempt = s.value->>'attempt' AND attempts.outcome = 'running'`,
  );
  const failed = settlements.filter((s) => s.status === "failed").map((s) => s.id);
  const deadLetters = failed.length === 0 ? [] : [
    sql`
      INSERT INTO dead_letters (job_id, tenant, failed_at, error)
      SELECT id, tenant, ${now}, error FROM jobs
      WHERE id IN (SELECT value FROM json_each(${JSON.stringify(failed)})) AND +status = 'failed' AND finished_at = ${now}
      ON CONFLICT (job_id) DO UPDATE SET failed_at = excluded.failed_at, error = excluded.error`,
  ];
  return { jobUpdates, rest: [...attemptUpdates, ...deadLetters] };
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
    RETURNING jobs.id AS id, jobs.watched AS watched`;
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

/** retrying -> running for a durable job's next attempt, taken by its own Workflow after the backoff. */
export function claimRetryStatements(sql: RawSql, jobId: string, series: number, token: string, now: number) {
  return [
    sql`
      UPDATE jobs SET status = 'running', attempts = attempts + 1, heartbeat_at = ${now}, claim_token = ${token}
      WHERE id = ${jobId} AND series = ${series} AND status = 'retrying'
      RETURNING attempts AS attempt, watched`,
    sql`
      INSERT INTO attempts (job_id, series, attempt, started_at, outcome)
      SELECT id, series, attempts, ${now}, 'running' FROM jobs WHERE id = ${jobId} AND claim_token = ${token}
      ON CONFLICT DO NOTHING`,
  ];
}
