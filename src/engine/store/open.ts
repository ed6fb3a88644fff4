import { type RawSql, SqlText } from "../../db/raw";
import { type JobRow, jobColumn, jobFields } from "./columns";
import { type Heartbeat, heartbeatStatement } from "./settle";

/**
 * running, held by a consumer -> running, held by its claim alone: the attempt's job type left it
 * open (a handler answered 202). It waits in `handler_waits` for a callback until its time limit,
 * counted from when the attempt started; the sweeper times it out then (`expiredWaitsStatement`).
 * The heartbeat marks the hand-over, so the stuck-job check counts from here.
 */
export function openStatements(sql: RawSql, opened: Heartbeat[], now: number) {
  return [
    sql`
      INSERT INTO handler_waits (job_id, claim_token, deadline)
      SELECT jobs.id, jobs.claim_token, coalesce(jobs.attempt_started_at, ${now}) + jobs.timeout_ms
      FROM jsonb_each(${JSON.stringify(opened.map(({ id, token }) => ({ id, token })))}) AS o
      JOIN jobs ON jobs.id = o.value->>'id' AND jobs.claim_token = o.value->>'token' AND +jobs.status = 'running'
      WHERE true
      ON CONFLICT (job_id) DO UPDATE SET claim_token = excluded.claim_token, deadline = excluded.deadline`,
    heartbeatStatement(sql, opened, now),
  ];
}

const EXPIRED_FIELDS = ["id", "claimToken", "series", "maxAttempts", "backoff", "priority", "durable", "gated"] as const;
const EXPIRED_LIST = new SqlText(`${jobFields(EXPIRED_FIELDS)}, jobs.${jobColumn("attempts")} AS "attempt", jobs.${jobColumn("timeoutMs")} AS "timeoutMs"`);
export type ExpiredWait = Pick<JobRow, (typeof EXPIRED_FIELDS)[number] | "timeoutMs"> & { claimToken: string; attempt: number };

/** Attempts still open past their time limit, as the settle needs them. */
export function expiredWaitsStatement(sql: RawSql, now: number, limit: number) {
  return sql`
    SELECT ${EXPIRED_LIST}
    FROM handler_waits w JOIN jobs ON jobs.id = w.job_id AND jobs.claim_token = w.claim_token AND +jobs.status = 'running'
    WHERE w.deadline < ${now}
    LIMIT ${limit}`;
}

/** Forgets waits whose time is up (settled by now, or being settled by the sweep that calls this). */
export function forgetWaitsStatement(sql: RawSql, until: number, jobIds: string[] = []) {
  return sql`DELETE FROM handler_waits WHERE deadline < ${until} OR job_id IN (SELECT value FROM json_each(${JSON.stringify(jobIds)}))`;
}
