import { liveKeyStatement } from "../auth/live-key";
import type { Principal } from "../auth/principal";
import type { JobRow } from "../db/client";
import { rowsOf } from "../db/raw";
import { ConflictError, InvalidInputError, RateLimitedError, UnauthorizedError, zodDetails } from "../errors";
import { type JobDefinition, isDurable } from "../jobs/define";
import { findJobDefinition } from "../jobs/index";
import { MAX_TIMEOUT_MS, type SubmitJob } from "../schemas/job";
import { dispatchDueAt, dispatchOrLeaveToSweeper } from "./dispatch";
import { JOB_COLUMNS, insertStatements } from "./store/insert";
import { type RateReport, admitStatements, defaultRule, overLimit, rateGroups, rateLimitHeaders, reportStatements } from "./rate-limits";
import { newId } from "./ids";
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
  if (issues.length > 0) throw new InvalidInputError("invalid_job", "the job was not accepted", issues);
  return rows;
}

/** The key a job type derives for a job: by its `concurrency.key`, else the type itself when it has a limit. */
function concurrencyKeyOf(definition: JobDefinition, input: unknown): string | undefined {
  if (!definition.concurrency) return undefined;
  return definition.concurrency.key ? definition.concurrency.key(input) : `type:${definition.type}`;
}

/** A debounce key already holds a queued job of another type or durability: nothing was written. */
function refuseDebounceClash(rows: PreparedJob[], queuedByDebounceKey: Map<string, JobRow>) {
  const clashes = rows.flatMap((row, index) => {
    const queued = row.debounceKey ? queuedByDebounceKey.get(row.debounceKey) : undefined;
    if (!queued || (queued.type === row.type && queued.durable === row.durable)) return [];
    const what = `${queued.durable ? "durable " : ""}${queued.type}`;
    return [{ index, debounceKey: row.debounceKey, message: `debounce key "${row.debounceKey}" holds a queued ${what} job (${queued.id})`, jobId: queued.id }];
  });
  if (clashes.length > 0) {
    throw new ConflictError("debounce_conflict", `${clashes[0]!.message}: a debounced job merges only into a queued job of the same type and durability`, clashes);
  }
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
  // Messages go out only once the rows are written: a submission that the batch refuses (a revoked
  // key, a rate limit, a debounce clash) must not have announced anything.
  const results = await db.batch(statements);
  if (principal.keyHash && !rowsOf<{ live: number }>(results, liveAt)[0]?.live) {
    throw new UnauthorizedError("unknown or revoked API key");
  }
  const inserted = new Set<string>();
  inserts.forEach((_, i) => {
    for (const { id } of rowsOf<{ id: string }>(results, insertsAt + i)) inserted.add(id);
  });
  const existingByKey = new Map<string, JobRow>();
  for (const row of rowsOf<JobRow>(results, existingAt)) if (row.idempotencyKey) existingByKey.set(row.idempotencyKey, row);
  const queuedByDebounceKey = new Map<string, JobRow>();
  if (debounceKeys.length > 0) for (const row of rowsOf<JobRow>(results, debouncedAt)) queuedByDebounceKey.set(row.debounceKey!, row);
  refuseDebounceClash(rows, queuedByDebounceKey);
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
    throw new RateLimitedError(message, { action: rejected.action, key: rejected.key, limit: rejected.limit, windowMs: rejected.windowMs }, (rejected.freeAt ?? now + rejected.windowMs) - now, headers);
  }

  const jobs = rows.map((row) => (row.debounceKey || !inserted.has(row.id) ? (earlier(row) ?? row) : row));
  const created = rows.map((row, i) => inserted.has(row.id) && jobs[i]!.id === row.id);
  await dispatchOrLeaveToSweeper(env, rows.filter((_, i) => created[i]));
  return { jobs, created, rateLimitHeaders: rateLimitHeaders(reports, now) };
}
