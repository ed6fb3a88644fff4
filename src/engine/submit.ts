import { liveKeyStatement } from "../auth/live-key";
import type { Principal } from "../auth/principal";
import type { JobRow } from "../db/client";
import { rowsOf } from "../db/raw";
import { InvalidInputError, UnauthorizedError, zodDetails } from "../errors";
import { type JobDefinition, isDurable } from "../jobs/define";
import { findJobDefinition } from "../jobs/index";
import type { JobTypes } from "../jobs/tenant-types";
import { MAX_TIMEOUT_MS, type SubmitJob } from "../schemas/job";
import { defaultLimit, quotaExceeded } from "../quotas/limits";
import { parseJobInput } from "../secrets/references";
import { refuseUnknownSecrets } from "../secrets/store";
import { dispatchDueAt, dispatchOrLeaveToSweeper } from "./dispatch";
import { publishToFeeds, statusItem } from "./feed";
import type { FeedFlag } from "./store/columns";
import { JOB_COLUMNS, type LiveJobsReport, insertStatements } from "./store/insert";
import { type RateReport, admitStatements, defaultRule, rateGroups, rateLimitHeaders, reportStatements } from "./rate-limits";
import { newId } from "./ids";
import { refuseDebounceClash, refuseOverLimit } from "./submit-refusals";
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
  /** The job types the tenant can submit (default: the built-in ones; see `tenantJobTypes`). */
  types?: JobTypes;
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
  const types = options.types ?? findJobDefinition;
  const rows: PreparedJob[] = requests.map((request, index) => {
    const at = pathPrefix(index);
    const definition = types(request.type);
    if (!definition) {
      issues.push({ path: `${at}type`, message: `unknown job type "${request.type}"` });
      return undefined as never;
    }
    const parsed = parseJobInput(definition.input, request.input);
    if (!parsed.success) {
      for (const detail of zodDetails(parsed.error)) {
        issues.push({ path: `${at}input${detail.path ? `.${detail.path}` : ""}`, message: detail.message });
      }
      return undefined as never;
    }
    issues.push(...optionIssues(request, definition, parsed.data, at));
    return preparedRow(tenant, request, definition, parsed.data, now, options);
  });
  if (issues.length > 0) throw new InvalidInputError("invalid_job", "the job was not accepted", issues);
  return rows;
}

/**
 * Runs the `admit` checks of the jobs' types on their inputs (valid by `prepareJobs`), and refuses
 * the submission as `prepareJobs` does when any finds a problem.
 */
export async function admitJobs(env: Env, tenant: string, rows: PreparedJob[], pathPrefix: (i: number) => string, types: JobTypes = findJobDefinition) {
  const found = await Promise.all(
    rows.map(async (row, i) => {
      const admit = types(row.type)?.admit;
      if (!admit) return [];
      const issues = await admit(JSON.parse(row.input), { env, tenant });
      return issues.map((issue) => ({ path: `${pathPrefix(i)}input.${issue.path}`, message: issue.message }));
    }),
  );
  const issues = found.flat();
  if (issues.length > 0) throw new InvalidInputError("invalid_job", "the job was not accepted", issues);
}

/** What is wrong with a request's options for its job type (its input being valid). */
function optionIssues(request: SubmitJob, definition: JobDefinition, input: unknown, at: string): Issue[] {
  const issues: Issue[] = [];
  const timeoutMs = request.timeoutMs ?? definition.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxTimeoutMs = definition.maxTimeoutMs ?? MAX_TIMEOUT_MS;
  if (!isDurable(definition, input) && timeoutMs > maxTimeoutMs) {
    issues.push({ path: `${at}timeoutMs`, message: `at most ${maxTimeoutMs} ms for a ${definition.type} job that is not durable` });
  }
  const { debounce } = request;
  if (debounce && (request.runAt !== undefined || request.delayMs !== undefined)) {
    issues.push({ path: `${at}debounce`, message: "a debounced job runs after its period: give no runAt or delayMs" });
  }
  if (debounce?.maxWaitMs !== undefined && debounce.maxWaitMs < debounce.periodMs) {
    issues.push({ path: `${at}debounce.maxWaitMs`, message: "must be at least periodMs" });
  }
  return issues;
}

/** The row a valid request becomes. */
function preparedRow(tenant: string, request: SubmitJob, definition: JobDefinition, input: unknown, now: number, options: SubmitOptions): PreparedJob {
  const durable = isDurable(definition, input);
  const timeoutMs = request.timeoutMs ?? definition.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { debounce } = request;
  const runAt = debounce ? now + debounce.periodMs : request.runAt ? Date.parse(request.runAt) : now + (request.delayMs ?? 0);
  const concurrencyKey = request.concurrencyKey ?? concurrencyKeyOf(definition, input);
  const rateAction = options.rate === null ? "" : (options.rate?.action ?? request.type);
  const rateKey = options.rate?.key ?? request.rateLimitKey ?? definition.rateLimit?.key?.(input) ?? "";
  return {
    id: newId("job", now),
    tenant,
    type: request.type,
    status: "queued",
    priority: request.priority,
    input: JSON.stringify(input),
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
    attemptStartedAt: null,
    attemptOutcome: null,
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
}

/** The key a job type derives for a job: by its `concurrency.key`, else the type itself when it has a limit. */
function concurrencyKeyOf(definition: JobDefinition, input: unknown): string | undefined {
  if (!definition.concurrency) return undefined;
  return definition.concurrency.key ? definition.concurrency.key(input) : `type:${definition.type}`;
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
  await refuseUnknownSecrets(env, principal.tenant, rows.map((row) => row.input));
  const batch = submissionBatch(env, principal, rows, now);
  // Messages go out only once the rows are written: a submission that the batch refuses (a revoked
  // key, a rate limit, a debounce clash) must not have announced anything.
  const results = await env.DB.batch(batch.statements);
  if (principal.keyHash && !rowsOf<{ live: number }>(results, batch.liveAt)[0]?.live) {
    throw new UnauthorizedError("unknown or revoked API key");
  }
  const quota = rowsOf<LiveJobsReport>(results, batch.quotaAt)[0];
  if (quota && !quota.fits) throw quotaExceeded("liveJobs", quota.limit, quota.used, quota.adding);
  const { inserted, feedWatched, existingByKey, queuedByDebounceKey } = readBatch(results, batch);
  refuseDebounceClash(rows, queuedByDebounceKey);
  const earlier = (row: PreparedJob) =>
    (row.debounceKey ? queuedByDebounceKey.get(row.debounceKey) : undefined) ?? existingByKey.get(row.idempotencyKey ?? "");

  const reports = rowsOf<RateReport>(results, batch.reportAt);
  refuseOverLimit(reports, rows, earlier, now);

  const jobs = rows.map((row) => (row.debounceKey || !inserted.has(row.id) ? (earlier(row) ?? row) : row));
  const created = rows.map((row, i) => inserted.has(row.id) && jobs[i]!.id === row.id);
  const createdRows = rows.filter((_, i) => created[i]);
  await Promise.all([
    dispatchOrLeaveToSweeper(env, createdRows),
    feedWatched ? publishToFeeds(env, createdRows.map((row) => statusItem({ ...row, attempt: 0 }, new Date(now)))) : undefined,
  ]);
  return { jobs, created, rateLimitHeaders: rateLimitHeaders(reports, now) };
}

/** A submission's D1 batch, and where each part's results are among the batch's results. */
interface SubmissionBatch {
  statements: D1PreparedStatement[];
  /** The first insert statement (each returns the ids it wrote), and how many there are. */
  insertsAt: number;
  insertCount: number;
  existingAt: number;
  /** Absent when no row has a debounce key. */
  debouncedAt?: number;
  reportAt: number;
  liveAt: number;
  /** The live-jobs quota the inserts applied (`LiveJobsReport`). */
  quotaAt: number;
}

function submissionBatch(env: Env, principal: Principal, rows: PreparedJob[], now: number): SubmissionBatch {
  const db = env.DB;
  const tenant = principal.tenant;
  const keys = rows.flatMap((r) => (r.idempotencyKey ? [r.idempotencyKey] : []));
  const debounceKeys = [...new Set(rows.flatMap((r) => (r.debounceKey ? [r.debounceKey] : [])))];
  const groups = rateGroups(rows);
  const groupsJson = JSON.stringify(groups);
  const { inserts, tagInserts, liveJobsReport } = insertStatements(db, principal, rows, groupsJson, now, defaultLimit(env, "liveJobs"));
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
  const quotaAt = add([liveJobsReport]);
  return { statements, insertsAt, insertCount: inserts.length, existingAt, ...(debounceKeys.length > 0 ? { debouncedAt } : {}), reportAt, liveAt, quotaAt };
}

/** What the batch found: the ids it inserted (and whether the tenant's feed is watched), and the jobs of earlier submissions by idempotency and debounce key. */
function readBatch(results: D1Result[], batch: SubmissionBatch) {
  const inserted = new Set<string>();
  let feedWatched = false;
  for (let i = 0; i < batch.insertCount; i++) {
    for (const { id, feed } of rowsOf<{ id: string } & FeedFlag>(results, batch.insertsAt + i)) {
      inserted.add(id);
      feedWatched ||= feed === 1;
    }
  }
  const existingByKey = new Map<string, JobRow>();
  for (const row of rowsOf<JobRow>(results, batch.existingAt)) if (row.idempotencyKey) existingByKey.set(row.idempotencyKey, row);
  const queuedByDebounceKey = new Map<string, JobRow>();
  if (batch.debouncedAt !== undefined) for (const row of rowsOf<JobRow>(results, batch.debouncedAt)) queuedByDebounceKey.set(row.debounceKey!, row);
  return { inserted, feedWatched, existingByKey, queuedByDebounceKey };
}
