import type { Principal } from "../api/context";
import { ApiError, zodDetails } from "../api/errors";
import { liveKeyStatement } from "../api/middleware/auth";
import type { JobRow } from "../db/client";
import { rawSql, rowsOf } from "../db/raw";
import { type JobDefinition, isDurable } from "../jobs/define";
import { findJobDefinition } from "../jobs/index";
import { MAX_TIMEOUT_MS, type SubmitJob } from "../schemas/job";
import { dispatchDueAt, dispatchOrLeaveToSweeper } from "./dispatch";
import { ADMITTED, type RateReport, admitStatements, defaultRule, overLimit, rateGroups, rateLimitHeaders, reportStatements } from "./rate-limits";
import { newId } from "./ids";
import { jsonChunks, withoutNulls } from "./json-chunks";
import { DEFAULT_BACKOFF } from "./retry";

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_TIMEOUT_MS = 60_000;

interface Issue {
  path: string;
  message: string;
}

/** A job row to write, with what its submission counts against for rate limits. */
export interface PreparedJob extends JobRow {
  /** The action the submission counts against: the job type, or `refresh`. */
  rateAction: string;
  /** Whose allowance it uses: a user or resource id, or "" for the tenant as a whole. */
  rateKey: string;
  /** The action's default mode; a tenant's own rule takes precedence at insert. */
  rateMode: string | null;
}

export interface SubmitOptions {
  /**
   * Count the submissions against this action and key instead of their job type's; `null` exempts
   * them (the platform's own submissions, such as a schedule's planned runs).
   */
  rate?: { action: string; key: string } | null;
}

/** Validates each request against its job type and turns it into a row; all-or-nothing. */
export function prepareJobs(
  tenant: string,
  requests: SubmitJob[],
  now: number,
  pathPrefix: (i: number) => string,
  options: SubmitOptions = {},
): PreparedJob[] {
  const issues: Issue[] = [];
  const rows: PreparedJob[] = requests.map((request, index) => {
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
    const { debounce } = request;
    if (debounce && (request.runAt !== undefined || request.delayMs !== undefined)) {
      issues.push({ path: `${at}debounce`, message: "a debounced job runs after its period: give no runAt or delayMs" });
    }
    if (debounce?.maxWaitMs !== undefined && debounce.maxWaitMs < debounce.periodMs) {
      issues.push({ path: `${at}debounce.maxWaitMs`, message: "must be at least periodMs" });
    }
    const runAt = debounce ? now + debounce.periodMs : request.runAt ? Date.parse(request.runAt) : now + (request.delayMs ?? 0);
    const concurrencyKey = request.concurrencyKey ?? concurrencyKeyOf(definition, parsed.data);
    const rateAction = options.rate === null ? "" : (options.rate?.action ?? request.type);
    const rateKey = options.rate?.key ?? request.rateLimitKey ?? definition.rateLimit?.key?.(parsed.data) ?? "";
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
      concurrencyKey: concurrencyKey ?? null,
      concurrencyLimit: concurrencyKey ? (request.concurrencyLimit ?? definition.concurrency?.limit ?? 1) : null,
      // Settled in SQL at insert: a concurrency key, a tenant-wide limit or a throttle rule gates it.
      gated: 0,
      debounceKey: debounce?.key ?? null,
      debounceDeadline: debounce?.maxWaitMs === undefined ? null : now + debounce.maxWaitMs,
      throttleKey: null,
      rateAction,
      rateKey,
      rateMode: rateAction ? (defaultRule(rateAction)?.mode ?? null) : null,
    } satisfies PreparedJob;
  });
  if (issues.length > 0) throw new ApiError(422, "invalid_job", "the job was not accepted", issues);
  return rows;
}

/** The key a job type derives for a job: by its `concurrency.key`, else the type itself when it has a limit. */
function concurrencyKeyOf(definition: JobDefinition, input: unknown): string | undefined {
  if (!definition.concurrency) return undefined;
  return definition.concurrency.key ? definition.concurrency.key(input) : `type:${definition.type}`;
}

/** Every column of a job row, named as `JobRow` names them. */
const JOB_COLUMNS = `id, tenant, type, status, priority, input, result, error, attempts, max_attempts AS maxAttempts,
  timeout_ms AS timeoutMs, backoff, tags, idempotency_key AS idempotencyKey, durable, series, run_at AS runAt,
  created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt, heartbeat_at AS heartbeatAt,
  dispatch_due_at AS dispatchDueAt, claim_token AS claimToken, watched, progress_percent AS progressPercent,
  progress_stage AS progressStage, progress_message AS progressMessage, concurrency_key AS concurrencyKey,
  concurrency_limit AS concurrencyLimit, gated, debounce_key AS debounceKey, debounce_deadline AS debounceDeadline,
  throttle_key AS throttleKey`;

/**
 * Inserts the rows of `?4` (a JSON chunk) if the caller's key (`?5`, `?6`) is live and `admitted`
 * holds: the rate limits admitted the submission (`?1` groups, `?2` tenant, `?3` now). Whether a job is gated, and
 * by which throttle, is settled here from the tenant's settings and rules.
 */
const insertJobs = (admitted: string) => `
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
    AND ${admitted}`;

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

/** Job inserts (their answers list the ids written) and, when any job has tags, the tag inserts. */
function insertStatements(db: D1Database, principal: Principal, rows: PreparedJob[], groups: string, now: number) {
  const { tenant, keyId } = principal;
  const keyHash = principal.keyHash ?? null;
  const bind = (text: string, chunk: string) => db.prepare(text).bind(groups, tenant, now, chunk, keyId, keyHash);
  const plain = jsonChunks(rows.filter((r) => !r.debounceKey).map(insertFields));
  const debounced = jsonChunks(rows.filter((r) => r.debounceKey).map(insertFields));
  const inserts = [
    ...plain.map((chunk) => bind(`${insertJobs(ADMITTED)} ON CONFLICT DO NOTHING RETURNING id, debounce_key AS debounceKey`, chunk)),
    ...debounced.map((chunk) =>
      bind(`${insertJobs(`(${ADMITTED} OR ${MERGES})`)} ${DEBOUNCE_MERGE} ON CONFLICT DO NOTHING RETURNING id, debounce_key AS debounceKey`, chunk),
    ),
  ];
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
  return { inserts, tagInserts };
}

export interface SubmitOutcome {
  jobs: JobRow[];
  created: boolean[];
  /** RateLimit-* response headers when a rate limit applies to the submission. */
  rateLimitHeaders: Record<string, string>;
}

/**
 * Writes jobs with one D1 batch and announces the new ones on their lanes. A request whose
 * idempotency key the tenant already used yields the existing job instead of a new one, and a
 * debounced one whose key has a queued job updates that job. The batch also checks that the
 * caller's key is live and that the rate limits admit the submission, and writes nothing if not.
 */
export async function submitJobs(env: Env, principal: Principal, rows: PreparedJob[], now = Date.now()): Promise<SubmitOutcome> {
  const db = env.DB;
  const tenant = principal.tenant;
  const keys = rows.flatMap((r) => (r.idempotencyKey ? [r.idempotencyKey] : []));
  const debounceKeys = [...new Set(rows.flatMap((r) => (r.debounceKey ? [r.debounceKey] : [])))];
  const groups = rateGroups(rows);
  const groupsJson = JSON.stringify(groups);
  const { inserts, tagInserts } = insertStatements(db, principal, rows, groupsJson, now);
  const statements: D1PreparedStatement[] = [];
  const add = (list: D1PreparedStatement[]) => {
    const first = statements.length;
    statements.push(...list);
    return first;
  };
  add(admitStatements(db, tenant, groups, now));
  const insertsAt = add(inserts);
  add(tagInserts);
  const existingAt = add(keys.length === 0 ? [] : [
    db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE tenant = ? AND idempotency_key IN (SELECT value FROM json_each(?))`)
      .bind(tenant, JSON.stringify(keys)),
  ]);
  const debouncedAt = add(debounceKeys.length === 0 ? [] : [
    db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs
                WHERE tenant = ? AND debounce_key IN (SELECT value FROM json_each(?)) AND status = 'queued'`)
      .bind(tenant, JSON.stringify(debounceKeys)),
  ]);
  const reportAt = add(reportStatements(db, tenant, groups, now));
  const liveAt = add(principal.keyHash ? [liveKeyStatement(env, principal)] : []);
  // Jobs without an idempotency or debounce key are certainly new, so their messages go out while
  // the rows are written; the consumer retries a message that arrives before its row. The others
  // may turn out to exist already, so theirs wait for the write.
  const eager = rows.filter((r) => !r.idempotencyKey && !r.debounceKey);
  const [results] = await Promise.all([db.batch(statements), dispatchOrLeaveToSweeper(env, eager)]);
  if (principal.keyHash && !rowsOf<{ live: number }>(results, liveAt)[0]?.live) {
    throw new ApiError(401, "unauthorized", "unknown or revoked API key");
  }
  const inserted = new Set<string>();
  inserts.forEach((_, i) => {
    for (const { id } of rowsOf<{ id: string }>(results, insertsAt + i)) inserted.add(id);
  });
  const existingByKey = new Map<string, JobRow>();
  for (const row of rowsOf<JobRow>(results, existingAt)) if (row.idempotencyKey) existingByKey.set(row.idempotencyKey, row);
  const queuedByDebounceKey = new Map<string, JobRow>();
  if (debounceKeys.length > 0) for (const row of rowsOf<JobRow>(results, debouncedAt)) queuedByDebounceKey.set(row.debounceKey!, row);
  const earlier = (row: PreparedJob) =>
    (row.debounceKey ? queuedByDebounceKey.get(row.debounceKey) : undefined) ?? existingByKey.get(row.idempotencyKey ?? "");

  const reports = rowsOf<RateReport>(results, reportAt);
  const rejected = overLimit(reports);
  // Repeats of earlier submissions (idempotent, or merged into a debounced job) add nothing to refuse.
  if (rejected && !rows.every((row) => earlier(row) !== undefined)) {
    const headers = rateLimitHeaders(reports, now, rejected);
    const message = rejected.n > rejected.limit
      ? `${rejected.n} submissions can never fit in a limit of ${rejected.limit} per ${rejected.windowMs} ms`
      : `rate limit reached for ${rejected.action}${rejected.key ? ` (${rejected.key})` : ""}: ${rejected.limit} per ${rejected.windowMs} ms`;
    throw new ApiError(429, "rate_limited", message, { action: rejected.action, key: rejected.key, limit: rejected.limit, windowMs: rejected.windowMs }, headers);
  }

  const jobs = rows.map((row) => (row.debounceKey || !inserted.has(row.id) ? (earlier(row) ?? row) : row));
  const created = rows.map((row, i) => inserted.has(row.id) && jobs[i]!.id === row.id);
  await dispatchOrLeaveToSweeper(env, rows.filter((row, i) => (row.idempotencyKey || row.debounceKey) && created[i]));
  return { jobs, created, rateLimitHeaders: rateLimitHeaders(reports, now) };
}
