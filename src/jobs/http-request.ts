import { z } from "@hono/zod-openapi";
import { NonRetryableError, RetryAfterError } from "../engine/errors";
import { MAX_STORED_BODY_BYTES, guardedFetch, readCappedText, storableHeaders } from "../outbound/fetch";
import { defineJob } from "./define";

const HttpRequestInput = z.object({
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  maxResponseBytes: z.number().int().min(0).max(MAX_STORED_BODY_BYTES).default(65_536)
    .describe("The most of the response body stored in the result; the rest is not read, and `truncated` says so."),
});

const HttpRequestResult = z.object({
  status: z.number().int(),
  url: z.string().describe("The URL that answered, after redirects."),
  headers: z.record(z.string(), z.string()).describe("The response's headers, but set-cookie."),
  body: z.string().describe("The response body as text, at most maxResponseBytes of it."),
  truncated: z.boolean(),
});

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Calls a URL through the guarded fetch (src/outbound/): internal destinations are refused at once,
 * redirects are followed and checked hop by hop. 2xx succeeds; 5xx, 429 and network errors retry
 * (honouring Retry-After); other 4xx fail at once.
 */
export const httpRequest = defineJob({
  type: "http.request",
  description: "Calls a public URL (internal addresses are refused); retries on 5xx, 429 and network errors, fails on other 4xx.",
  input: HttpRequestInput,
  result: HttpRequestResult,
  retry: { maxAttempts: 5, backoff: { type: "exponential", baseMs: 1_000, maxMs: 60_000 } },
  timeoutMs: 30_000,
  async run(input, ctx) {
    const headers = new Headers(input.headers);
    let body: string | undefined;
    if (typeof input.body === "string") body = input.body;
    else if (input.body !== undefined) {
      body = JSON.stringify(input.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    await ctx.progress(10, { stage: "request", message: `${input.method} ${input.url}` });
    const { response, url } = await guardedFetch(ctx.env, input.url, { method: input.method, headers, body, signal: ctx.signal });
    const summary = `${input.method} ${input.url} answered ${response.status}`;
    if (response.status >= 400) await response.body?.cancel();
    if (response.status === 429 || response.status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      throw retryAfterMs === undefined ? new Error(summary) : new RetryAfterError(summary, retryAfterMs);
    }
    if (response.status >= 400) throw new NonRetryableError(summary);
    const { text, truncated } = await readCappedText(response, input.maxResponseBytes);
    await ctx.progress(100, { stage: "done" });
    return {
      status: response.status,
      url,
      headers: storableHeaders(response.headers),
      body: text,
      truncated,
    };
  },
});
