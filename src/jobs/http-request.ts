import { z } from "@hono/zod-openapi";
import { NonRetryableError, RetryAfterError } from "../engine/errors";
import { defineJob } from "./define";

const HttpRequestInput = z.object({
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  maxResponseBytes: z.number().int().min(0).max(1_048_576).default(65_536),
});

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function readLimited(response: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: "", truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = limit - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return { text: new TextDecoder().decode(bytes), truncated };
}

/** Calls a URL. 2xx succeeds; 5xx, 429 and network errors retry (honouring Retry-After); other 4xx fail at once. */
export const httpRequest = defineJob({
  type: "http.request",
  description: "Calls a URL; retries on 5xx, 429 and network errors, fails on other 4xx.",
  input: HttpRequestInput,
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
    const response = await fetch(input.url, { method: input.method, headers, body, signal: ctx.signal });
    const { text, truncated } = await readLimited(response, input.maxResponseBytes);
    const summary = `${input.method} ${input.url} answered ${response.status}`;
    if (response.status === 429 || response.status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      throw retryAfterMs === undefined ? new Error(summary) : new RetryAfterError(summary, retryAfterMs);
    }
    if (response.status >= 400) throw new NonRetryableError(summary);
    await ctx.progress(100, { stage: "done" });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: text,
      truncated,
    };
  },
});
