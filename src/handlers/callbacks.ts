import type { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { database } from "../db/client";
import { rawSql, rowsOf } from "../db/raw";
import { jobs } from "../db/schema";
import { ConflictError, InvalidInputError, NotFoundError, UnauthorizedError } from "../errors";
import { publish } from "../engine/events";
import { progressItem, publishToFeeds } from "../engine/feed";
import { MAX_RESULT_BYTES } from "../engine/run-attempt";
import { type SettleInput, settle } from "../engine/settle";
import type { FeedFlag } from "../engine/store/columns";
import { forgetWaitsStatement } from "../engine/store/open";
import { heartbeatStatement, logStatements } from "../engine/store/settle";
import type { CallbackCompleteSchema, CallbackFailSchema, CallbackProgressSchema } from "../schemas/handler";
import { revealInput } from "../secrets/reveal";
import { type AttemptRef, attemptOfToken } from "./callback-token";

/**
 * What a handler reports through the callback URLs of an attempt it answered 202 for: progress
 * while it works, then the outcome, settled like a built-in job's (retries, backoff, dead letters,
 * events). Each URL holds a token for one attempt: a forged one is refused, one of an attempt that
 * is over (completed, failed, timed out, cancelled, or replaced by a later attempt) is told so.
 */

const OPEN_ATTEMPT = {
  id: jobs.id, tenant: jobs.tenant, status: jobs.status, series: jobs.series, attempt: jobs.attempts, claimToken: jobs.claimToken,
  maxAttempts: jobs.maxAttempts, backoff: jobs.backoff, priority: jobs.priority, durable: jobs.durable, gated: jobs.gated, input: jobs.input,
};

export interface CallbackAnswer {
  jobId: string;
  attempt: number;
  status: string;
}

async function openAttempt(env: Env, tenant: string, jobId: string, token: string) {
  const ref = await attemptOfToken(env, tenant, jobId, token);
  if (!ref) throw new UnauthorizedError("not a callback token of this job");
  const job = await database(env).select(OPEN_ATTEMPT).from(jobs).where(and(eq(jobs.id, jobId), eq(jobs.tenant, tenant))).get();
  if (!job) throw new NotFoundError(`job ${jobId}`);
  if (job.status !== "running" || job.series !== ref.series || job.attempt !== ref.attempt || !job.claimToken) throw attemptOver(ref, job);
  // The handler saw the input with its secrets: none of them is written back in what it reports.
  const { scrubber } = await revealInput(env, tenant, job.input);
  return { ref, job: { ...job, claimToken: job.claimToken }, scrubber };
}

function attemptOver(ref: AttemptRef, job: { status: string; attempt: number }) {
  const now = job.attempt === ref.attempt ? "" : ` (at attempt ${job.attempt})`;
  return new ConflictError("attempt_over", `attempt ${ref.attempt} of job ${ref.jobId} is over: the job is ${job.status}${now}`, { status: job.status, attempt: job.attempt });
}

type OpenJob = Awaited<ReturnType<typeof openAttempt>>["job"];

/** Settles the attempt; the wait it was in is forgotten. */
async function settleAttempt(env: Env, job: OpenJob, result: SettleInput["result"], now: number): Promise<CallbackAnswer> {
  const [settled] = await settle(env, [{ job, result }], [], now);
  if (!settled) throw attemptOver({ tenant: job.tenant, jobId: job.id, series: job.series, attempt: job.attempt }, { status: "settled", attempt: job.attempt });
  await forgetWaitsStatement(rawSql(env.DB), 0, [job.id]).run();
  return { jobId: job.id, attempt: job.attempt, status: settled.status };
}

export async function completeAttempt(env: Env, tenant: string, jobId: string, token: string, body: z.infer<typeof CallbackCompleteSchema>, now = Date.now()) {
  const { job, scrubber } = await openAttempt(env, tenant, jobId, token);
  const result = scrubber.json(body.result ?? null);
  if (result.length > MAX_RESULT_BYTES) {
    throw new InvalidInputError("limit_exceeded", `the result is ${result.length} bytes as JSON; at most ${MAX_RESULT_BYTES} (store large results elsewhere)`);
  }
  return settleAttempt(env, job, { ok: true, result }, now);
}

export async function failAttempt(env: Env, tenant: string, jobId: string, token: string, body: z.infer<typeof CallbackFailSchema>, now = Date.now()) {
  const { job, scrubber } = await openAttempt(env, tenant, jobId, token);
  const error = scrubber.errorInfo({
    name: body.error.name ?? "HandlerError",
    message: body.error.message,
    retryable: body.retryable,
    ...(body.retryAfterMs === undefined ? {} : { retryAfterMs: body.retryAfterMs }),
  });
  return settleAttempt(env, job, { ok: false, error, timedOut: false }, now);
}

/** Records the handler's progress (and logs) and tells the job's watchers and the tenant's feed. */
export async function reportProgress(env: Env, tenant: string, jobId: string, token: string, body: z.infer<typeof CallbackProgressSchema>, now = Date.now()) {
  const { ref, job, scrubber } = await openAttempt(env, tenant, jobId, token);
  const progress = {
    percent: Math.round(body.percent * 100) / 100,
    stage: body.stage === undefined ? null : scrubber.text(body.stage),
    message: body.message === undefined ? null : scrubber.text(body.message),
  };
  const sql = rawSql(env.DB);
  const logs = (body.logs ?? []).map((l, i) => ({ jobId, at: now + i, attempt: ref.attempt, level: l.level, message: scrubber.text(l.message) }));
  const results = await env.DB.batch([heartbeatStatement(sql, [{ id: jobId, token: job.claimToken, ...progress }], now), ...logStatements(sql, logs)]);
  const [row] = rowsOf<{ watched: number } & FeedFlag>(results, 0);
  if (!row) throw attemptOver(ref, { status: "settled", attempt: ref.attempt });
  await Promise.all([
    row.watched === 1 ? publish(env, jobId, [{ type: "progress", attempt: ref.attempt, ...progress, at: new Date(now).toISOString() }]) : undefined,
    row.feed === 1 ? publishToFeeds(env, [progressItem(tenant, jobId, progress)]) : undefined,
  ]);
  return { jobId, attempt: ref.attempt, status: "running" };
}
