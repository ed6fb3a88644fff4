import type { Principal } from "../api/context";
import { ApiError, zodDetails } from "../api/errors";
import { liveKeyStatement } from "../api/middleware/auth";
import type { JobRow } from "../db/client";
import { type RawSql, rawSql, rowsOf } from "../db/raw";
import { isDurable } from "../jobs/define";
import { findJobDefinition } from "../jobs/index";
import { MAX_TIMEOUT_MS, type SubmitJob } from "../schemas/job";
import { dispatchDueAt, dispatchOrLeaveToSweeper } from "./dispatch";
import { newId } from "./ids";
import { jsonChunks } from "./json-chunks";
import { DEFAULT_BACKOFF } from "./retry";

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_TIMEOUT_MS = 60_000;

interface Issue {
  path: string;
  message: string;
}

/** Validates each request against its job type and turns it into a row; all-or-nothing. */
export function prepareJobs(tenant: string, requests: SubmitJob[], now: number, pathPrefix: (i: number) => string) {
  const issues: Issue[] = [];
  const rows: JobRow[] = requests.map((request, index) => {
    const at = pathPrefix(index);
    const definition = findJobDefinition(request.type);
    if (!definition) {
      issues.push({ path: `${at}type`, message: `unknown job type "${request.type}"` });
      return undefined as never;
    }
    const parsed = definition.input.safeParse(request.input);
    if (!parsed.success) {
      for (const detail of zodDetails(parsed.error)) {
        issues.push({ path: `${at}input${detail.path ? `.${detail.path}` : ""}`, message: detail.message });
      }
      return undefined as never;
    }
    const durable = isDurable(definition, parsed.data);
    const timeoutMs = request.timeoutMs ?? definition.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!durable && timeoutMs > MAX_TIMEOUT_MS) {
      issues.push({ path: `${at}timeoutMs`, message: `at most ${MAX_TIMEOUT_MS} ms for a job that is not durable` });
    }
    const runAt = request.runAt ? Date.parse(request.runAt) : now + (request.delayMs ?? 0);
    return {
      id: newId("job", now),
      tenant,
      type: request.type,
      status: "queued",
      priority: request.priority,
      input: JSON.stringify(parsed.data),
      result: null,
      error: null,
      attempts: 0,
      maxAttempts: request.maxAttempts ?? definition.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      timeoutMs,
      backoff: JSON.stringify({ ...DEFAULT_BACKOFF, ...definition.retry?.backoff, ...request.backoff }),
      tags: JSON.stringify([...new Set(request.tags)]),
      idempotencyKey: request.idempotencyKey ?? null,
      durable: durable ? 1 : 0,
      series: 0,
      runAt,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      heartbeatAt: null,
      dispatchDueAt: dispatchDueAt(runAt, now),
      claimToken: null,
      watched: 0,
      progressPercent: 0,
      progressStage: null,
      progressMessage: null,
    } satisfies JobRow;
  });
  if (issues.length > 0) throw new ApiError(422, "invalid_job", "the job was not accepted", issues);
  return rows;
}

/** Job inserts (their answers list the ids written) and, when any job has tags, the tag inserts. */
function insertStatements(sql: RawSql, principal: Principal, rows: JobRow[]) {
  const { tenant, keyId } = principal;
  const keyHash = principal.keyHash ?? null;
  const chunks = jsonChunks(rows);
  const inserts = chunks.map(
    (chunk) => sql`
      INSERT INTO jobs (id, tenant, type, status, priority, input, attempts, max_attempts, timeout_ms, backoff,
                        tags, idempotency_key, durable, series, run_at, created_at, dispatch_due_at)
      SELECT j.value->>'id', ${tenant}, j.value->>'type', 'queued', j.value->>'priority', j.value->>'input', 0,
             j.value->>'maxAttempts', j.value->>'timeoutMs', j.value->>'backoff', j.value->>'tags',
             j.value->>'idempotencyKey', j.value->>'durable', 0, j.value->>'runAt', j.value->>'createdAt',
             j.value->>'dispatchDueAt'
      FROM json_each(${chunk}) AS j
      WHERE ${keyHash} IS NULL
         OR EXISTS (SELECT 1 FROM api_keys WHERE id = ${keyId} AND hash = ${keyHash} AND revoked_at IS NULL)
      ON CONFLICT DO NOTHING
      RETURNING id`,
  );
  const tagged = rows.some((r) => r.tags !== "[]");
  const tagInserts = !tagged ? [] : chunks.map(
    (chunk) => sql`
      INSERT INTO job_tags (tenant, tag, job_id)
      SELECT ${tenant}, t.value, j.value->>'id'
      FROM json_each(${chunk}) AS j, json_each(j.value->>'tags') AS t
      WHERE EXISTS (SELECT 1 FROM jobs WHERE jobs.id = j.value->>'id')
      ON CONFLICT DO NOTHING`,
  );
  return { inserts, tagInserts };
}

export interface SubmitOutcome {
  jobs: JobRow[];
  created: boolean[];
}

/**
 * Writes jobs with one D1 batch and announces the new ones on their lanes. A request whose
 * idempotency key the tenant already used yields the existing job instead of a new one. The
 * batch also checks that the caller's key is live, and writes nothing if it is not.
 */
export async function submitJobs(env: Env, principal: Principal, rows: JobRow[]): Promise<SubmitOutcome> {
  const sql = rawSql(env.DB);
  const tenant = principal.tenant;
  const keys = rows.flatMap((r) => (r.idempotencyKey ? [r.idempotencyKey] : []));
  const { inserts, tagInserts } = insertStatements(sql, principal, rows);
  const existingQuery = sql`
    SELECT id, tenant, type, status, priority, input, result, error, attempts, max_attempts AS maxAttempts,
           timeout_ms AS timeoutMs, backoff, tags, idempotency_key AS idempotencyKey, durable, series,
           run_at AS runAt, created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt,
           heartbeat_at AS heartbeatAt, dispatch_due_at AS dispatchDueAt, claim_token AS claimToken, watched,
           progress_percent AS progressPercent, progress_stage AS progressStage, progress_message AS progressMessage
    FROM jobs WHERE tenant = ${tenant} AND idempotency_key IN (SELECT value FROM json_each(${JSON.stringify(keys)}))`;
  // Jobs without an idempotency key are certainly new, so their messages go out while the rows are
  // written; the consumer retries a message that arrives before its row. Keyed jobs may turn out
  // to exist already, so theirs wait for the write.
  const eager = rows.filter((r) => !r.idempotencyKey);
  const [results] = await Promise.all([
    env.DB.batch([
      ...inserts,
      ...tagInserts,
      ...(keys.length > 0 ? [existingQuery] : []),
      ...(principal.keyHash ? [liveKeyStatement(env, principal)] : []),
    ]),
    dispatchOrLeaveToSweeper(env, eager),
  ]);
  if (principal.keyHash && !rowsOf<{ live: number }>(results, results.length - 1)[0]?.live) {
    throw new ApiError(401, "unauthorized", "unknown or revoked API key");
  }

  const inserted = new Set<string>();
  inserts.forEach((_, i) => {
    for (const { id } of rowsOf<{ id: string }>(results, i)) inserted.add(id);
  });
  const existingByKey = new Map<string, JobRow>();
  if (keys.length > 0) {
    for (const row of rowsOf<JobRow>(results, inserts.length + tagInserts.length)) existingByKey.set(row.idempotencyKey!, row);
  }

  const jobs = rows.map((row) =>
    inserted.has(row.id) ? row : (existingByKey.get(row.idempotencyKey ?? "") ?? row),
  );
  const created = rows.map((row) => inserted.has(row.id));
  await dispatchOrLeaveToSweeper(env, rows.filter((row) => row.idempotencyKey && inserted.has(row.id)));
  return { jobs, created };
}
