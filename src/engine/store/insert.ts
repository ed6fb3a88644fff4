import { allFields } from "../../db/columns";
import type { Principal } from "../../auth/principal";
import { SqlText, rawSql } from "../../db/raw";
import { jobs } from "../../db/schema";
import { jsonChunks, withoutNulls } from "../json-chunks";
import { ADMITTED } from "../rate-limits";
import type { PreparedJob } from "../submit";
import { feedFlag, jobFields } from "./columns";

/**
 * The submit arrow (-> queued): job rows go in as one JSON parameter per chunk, read with
 * `jsonb_each` (D1 allows 100 bound parameters per statement).
 */

/** What an insert answers of each job it wrote (or merged into), and whether its tenant's live feed is watched. */
const INSERTED = new SqlText(`${jobFields(["id", "debounceKey"])}, ${feedFlag("?2", "?3")}`);

/** Every column of a job row, named as `JobRow` names them. */
export const JOB_COLUMNS = allFields(jobs).text;

/**
 * The live-jobs quota (src/quotas/), decided for the whole request inside each of its inserts, so a
 * submit costs no extra round trip: the tenant's unfinished jobs created before the request's first
 * id `?9` (one chunk's rows do not count against the next), plus the `?10` jobs it brings, less those
 * whose idempotency key (`?8`) the tenant already used, within the tenant's override or `?11`.
 */
const LIVE_LIMIT = `coalesce((SELECT quotas->>'liveJobs' FROM tenant_settings WHERE tenant = ?2), ?11)`;
/** Counted no further than the limit allows: the check never reads more index entries than the quota. */
const LIVE_USED = `(SELECT count(*) FROM (
  SELECT 1 FROM jobs WHERE tenant = ?2 AND status IN ('queued', 'running', 'retrying') AND id < ?9 LIMIT ${LIVE_LIMIT} + 1))`;
const REPEATS = `(SELECT count(*) FROM jobs WHERE tenant = ?2 AND idempotency_key IN (SELECT value FROM json_each(?8)) AND id < ?9)`;
const LIVE_ROOM = `${LIVE_USED} + ?10 - ${REPEATS} <= ${LIVE_LIMIT}`;

/** What the submission learns of the quota its inserts applied (same parameters, same transaction). */
export const LIVE_JOBS_REPORT = `SELECT ${LIVE_ROOM} AS fits, ${LIVE_USED} AS used, ?10 - ${REPEATS} AS adding, ${LIVE_LIMIT} AS "limit"`;

export interface LiveJobsReport {
  fits: number;
  used: number;
  adding: number;
  limit: number;
}

/**
 * Inserts the rows of `?4` (a JSON chunk) if the caller's key (`?5`, `?6`) is live, the live-jobs
 * quota has `room` and `admitted` holds: the rate limits admitted the submission (`?1` groups, `?2`
 * tenant, `?3` now). Whether a job is gated, and by which throttle, is settled here from the
 * tenant's settings and rules.
 */
const insertJobs = (admitted: string, room: string) => `
  INSERT INTO jobs (id, tenant, type, status, priority, input, attempts, max_attempts, timeout_ms, backoff,
                    tags, idempotency_key, durable, series, run_at, created_at, dispatch_due_at, concurrency_key,
                    concurrency_limit, gated, debounce_key, debounce_deadline, throttle_key)
  SELECT j.value->>'id', ?2, j.value->>'type', 'queued', j.value->>'priority', j.value->>'input', 0,
         j.value->>'maxAttempts', j.value->>'timeoutMs', j.value->>'backoff', j.value->>'tags',
         j.value->>'idempotencyKey', j.value->>'durable', 0, j.value->>'runAt', j.value->>'createdAt',
         j.value->>'dispatchDueAt', j.value->>'concurrencyKey', j.value->>'concurrencyLimit',
         j.value->>'concurrencyKey' IS NOT NULL OR s.concurrency_limit IS NOT NULL
           OR coalesce(r.mode, j.value->>'rateMode') IS 'throttle',
         j.value->>'debounceKey', j.value->>'debounceDeadline',
         CASE WHEN coalesce(r.mode, j.value->>'rateMode') = 'throttle'
              THEN (j.value->>'rateAction') || char(10) || (j.value->>'rateKey') END
  FROM jsonb_each(?4) AS j
  LEFT JOIN rate_limit_rules r ON r.tenant = ?2 AND r.action = j.value->>'rateAction'
  LEFT JOIN tenant_settings s ON s.tenant = ?2
  WHERE (?6 IS NULL OR EXISTS (SELECT 1 FROM api_keys WHERE id = ?5 AND hash = ?6 AND revoked_at IS NULL))
    AND NOT EXISTS (${DEBOUNCE_CLASH}) AND ${admitted} AND ${room}`;

/**
 * A debounce key whose queued job is of another type or durability than this request's job (`?7`
 * lists the request's keys): merging would run one job type with another's input, so the whole
 * request writes nothing and is refused.
 */
export const DEBOUNCE_CLASH = `
  SELECT 1 FROM json_each(?7) AS d JOIN jobs q ON q.tenant = ?2 AND q.debounce_key = d.value->>'key' AND q.status = 'queued'
  WHERE q.type IS NOT d.value->>'type' OR q.durable IS NOT d.value->>'durable'`;

/**
 * A debounced submission whose key has a queued job updates that job instead: the latest input,
 * and a start pushed back to a period after this submission (but not past its `maxWaitMs`).
 */
const DEBOUNCE_MERGE = `
  ON CONFLICT (tenant, debounce_key) WHERE debounce_key IS NOT NULL AND status = 'queued' DO UPDATE SET
    input = excluded.input,
    run_at = max(jobs.run_at, CASE WHEN jobs.debounce_deadline IS NULL THEN excluded.run_at
                                   ELSE min(excluded.run_at, jobs.debounce_deadline) END)`;

/** A debounced submission that only updates its queued job adds no job, so no rate limit refuses it. */
const MERGES = `EXISTS (SELECT 1 FROM jobs q WHERE q.tenant = ?2 AND q.debounce_key = j.value->>'debounceKey' AND q.status = 'queued')`;

/** What the inserts read of a row (see `withoutNulls`). */
function insertFields(r: PreparedJob) {
  return withoutNulls({
    id: r.id,
    type: r.type,
    priority: r.priority,
    input: r.input,
    maxAttempts: r.maxAttempts,
    timeoutMs: r.timeoutMs,
    backoff: r.backoff,
    tags: r.tags,
    durable: r.durable,
    runAt: r.runAt,
    createdAt: r.createdAt,
    dispatchDueAt: r.dispatchDueAt,
    idempotencyKey: r.idempotencyKey,
    concurrencyKey: r.concurrencyKey,
    concurrencyLimit: r.concurrencyLimit,
    debounceKey: r.debounceKey,
    debounceDeadline: r.debounceDeadline,
    rateAction: r.rateAction,
    rateKey: r.rateKey,
    rateMode: r.rateMode,
  });
}

/**
 * Job inserts (their answers list the ids written), when any job has tags the tag inserts, and the
 * statement reporting the live-jobs quota the inserts applied (`liveJobsDefault` unless overridden).
 */
export function insertStatements(db: D1Database, principal: Principal, rows: PreparedJob[], groups: string, now: number, liveJobsDefault: number) {
  const { tenant, keyId } = principal;
  const keyHash = principal.keyHash ?? null;
  const debounceKeys = JSON.stringify(rows.flatMap((r) => (r.debounceKey ? [{ key: r.debounceKey, type: r.type, durable: r.durable }] : [])));
  const idempotencyKeys = JSON.stringify(rows.flatMap((r) => (r.idempotencyKey ? [r.idempotencyKey] : [])));
  const firstId = rows.reduce((min, r) => (r.id < min ? r.id : min), rows[0]?.id ?? "");
  const bind = (text: string, chunk: string | null) =>
    db.prepare(text).bind(groups, tenant, now, chunk, keyId, keyHash, debounceKeys, idempotencyKeys, firstId, rows.length, liveJobsDefault);
  const plain = jsonChunks(rows.filter((r) => !r.debounceKey).map(insertFields));
  const debounced = jsonChunks(rows.filter((r) => r.debounceKey).map(insertFields));
  const inserts = [
    ...plain.map((chunk) => bind(`${insertJobs(ADMITTED, LIVE_ROOM)} ON CONFLICT DO NOTHING RETURNING ${INSERTED.text}`, chunk)),
    ...debounced.map((chunk) =>
      bind(`${insertJobs(`(${ADMITTED} OR ${MERGES})`, `(${LIVE_ROOM} OR ${MERGES})`)} ${DEBOUNCE_MERGE} ON CONFLICT DO NOTHING RETURNING ${INSERTED.text}`, chunk),
    ),
  ];
  const liveJobsReport = bind(LIVE_JOBS_REPORT, null);
  const sql = rawSql(db);
  const tagged = rows.some((r) => r.tags !== "[]");
  const tagInserts = !tagged ? [] : [...plain, ...debounced].map(
    (chunk) => sql`
      INSERT INTO job_tags (tenant, tag, job_id)
      SELECT ${tenant}, t.value, j.value->>'id'
      FROM jsonb_each(${chunk}) AS j, json_each(j.value->>'tags') AS t
      WHERE EXISTS (SELECT 1 FROM jobs WHERE jobs.id = j.value->>'id')
      ON CONFLICT DO NOTHING`,
  );
  return { inserts, tagInserts, liveJobsReport };
}

