import { NonRetryableError, RetryAfterError } from "../engine/errors";
import { callbackUrls } from "../handlers/callback-token";
import { handlerInput } from "../handlers/input-schema";
import { SIGNATURE_HEADER, signatureHeader } from "../handlers/signature";
import { type HandlerRow, signingSecretsOf } from "../handlers/store";
import { guardedFetch, readCappedText } from "../outbound/fetch";
import { MAX_HANDLER_REQUEST_MS, MAX_HANDLER_TIMEOUT_MS } from "../schemas/handler";
import { AwaitingCallback, type JobContext, type JobDefinition, defineJob } from "./define";
import { parseRetryAfter } from "./http-request";

/** The most of a handler's answer read: a result the job row can hold. */
const MAX_ANSWER_BYTES = 1_536 * 1024;
const MAX_ERROR_TEXT = 500;

/**
 * A job type a tenant serves from its own endpoint (registered through /api/v1/handlers). Each
 * attempt is one signed POST of the job to the handler: a 2xx answer is the result; 202 leaves
 * the attempt open until the handler calls back (src/handlers/callbacks.ts) or the time limit
 * passes; 429 and 5xx (and network errors) are retried with the backoff, honouring Retry-After;
 * any other answer fails the job.
 */
export function handlerJob(row: HandlerRow): JobDefinition {
  return defineJob({
    type: row.type,
    description: row.description ?? `Served by ${new URL(row.url).origin}`,
    input: handlerInput(row.inputSchema),
    retry: { maxAttempts: row.maxAttempts, backoff: JSON.parse(row.backoff) },
    timeoutMs: row.timeoutMs,
    maxTimeoutMs: MAX_HANDLER_TIMEOUT_MS,
    ...(row.concurrencyLimit === null ? {} : { concurrency: { limit: row.concurrencyLimit } }),
    run: (input, ctx) => callHandler(row, input, ctx),
  });
}

/** What the handler receives: the job, this attempt, and where to report on it. */
async function callBody(row: HandlerRow, input: unknown, ctx: JobContext) {
  const callbacks = await callbackUrls(ctx.env, row.callbackBase, { tenant: ctx.tenant, jobId: ctx.jobId, series: ctx.series, attempt: ctx.attempt });
  const deadline = new Date(Date.now() + row.timeoutMs).toISOString();
  return JSON.stringify({ job: { id: ctx.jobId, type: row.type, attempt: ctx.attempt, maxAttempts: row.maxAttempts, input }, deadline, callbacks });
}

async function callHandler(row: HandlerRow, input: unknown, ctx: JobContext) {
  const body = await callBody(row, input, ctx);
  const headers = {
    "content-type": "application/json",
    "user-agent": "edge-jobs",
    [SIGNATURE_HEADER]: await signatureHeader(await signingSecretsOf(ctx.env, row), body),
    "edge-jobs-job-id": ctx.jobId,
    "edge-jobs-attempt": String(ctx.attempt),
  };
  const requestMs = Math.min(row.timeoutMs, MAX_HANDLER_REQUEST_MS);
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(requestMs)]);
  let response: Response;
  try {
    ({ response } = await guardedFetch(ctx.env, row.url, { method: "POST", headers, body, signal }));
  } catch (err) {
    if (err instanceof DOMException && err.name === "TimeoutError") {
      throw new Error(`the handler did not answer within ${requestMs} ms: answer 202 and call back for longer work`);
    }
    throw err;
  }
  return answerOf(response);
}

/** The result a handler's answer gives, or the error it fails the attempt with. */
async function answerOf(response: Response): Promise<unknown> {
  if (response.status === 202) {
    await response.body?.cancel();
    return new AwaitingCallback();
  }
  const { text, truncated } = await readCappedText(response, MAX_ANSWER_BYTES);
  if (response.ok) {
    if (truncated) throw new NonRetryableError(`the handler's answer is over ${MAX_ANSWER_BYTES} bytes: store large results in R2 or your own storage`);
    return resultOf(text, response.headers.get("content-type"));
  }
  const summary = `the handler answered ${response.status}${errorText(text)}`;
  if (response.status === 429 || response.status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    throw retryAfterMs === undefined ? new Error(summary) : new RetryAfterError(summary, retryAfterMs);
  }
  throw new NonRetryableError(summary);
}

function resultOf(text: string, contentType: string | null): unknown {
  if (text.trim() === "") return null;
  if (!/[/+]json\b/i.test(contentType ?? "")) return { body: text };
  try {
    return JSON.parse(text);
  } catch {
    throw new NonRetryableError("the handler answered invalid JSON");
  }
}

/** `: <message>` from an error answer: `{"error": {"message"}}`, `{"error": "..."}`, or its text. */
function errorText(text: string): string {
  if (!text.trim()) return "";
  let message: unknown = text;
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const error = parsed.error as { message?: unknown } | string | undefined;
    message = (typeof error === "string" ? error : error?.message) ?? parsed.message ?? text;
  } catch {
    // not JSON: the text itself
  }
  return `: ${String(message).slice(0, MAX_ERROR_TEXT)}`;
}
