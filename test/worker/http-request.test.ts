import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../src/jobs/http-request";
import type { Job } from "../../src/schemas/job";
import { attemptsOf } from "./engine-helpers";
import { api, json, newTenant, submit, waitForStatus } from "./helpers";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-22T10:00:00.000Z");

  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("1", now)).toBe(1_000);
  });

  it("reads an HTTP-date as the time left until it", () => {
    expect(parseRetryAfter("Sun, 22 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
  });

  it("never gives a negative delay for a date in the past", () => {
    expect(parseRetryAfter("Sun, 22 Nov 2026 09:59:00 GMT", now)).toBe(0);
  });

  it("ignores a missing or unreadable header", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("the http.request job type", () => {
  const submitRaw = (key: string, input: unknown) => api("/jobs", { key, body: { type: "http.request", input } });

  it.each([
    ["a string that is not a URL", { url: "not a url" }],
    ["a non-http protocol", { url: "ftp://files.example.com/report.csv" }],
    ["a javascript: URL", { url: "javascript:alert(1)" }],
    ["a file: URL", { url: "file:///etc/passwd" }],
    ["no URL at all", {}],
  ])("rejects %s with 422", async (_, input) => {
    const { key } = await newTenant();
    const body = await json(await submitRaw(key, input), 422);
    expect(body).toMatchObject({ error: { code: "invalid_job" } });
    expect(body.error.details.map((d: { path: string }) => d.path)).toContain("input.url");
  });

  it("rejects an unsupported method and an oversized response limit with 422", async () => {
    const { key } = await newTenant();
    const method = await json(await submitRaw(key, { url: "https://api.example.com/", method: "TRACE" }), 422);
    expect(method.error.details.map((d: { path: string }) => d.path)).toContain("input.method");
    const limit = await json(await submitRaw(key, { url: "https://api.example.com/", maxResponseBytes: 10_000_000 }), 422);
    expect(limit.error.details.map((d: { path: string }) => d.path)).toContain("input.maxResponseBytes");
  });

  it("accepts a valid request with the type's retry defaults (never run: it is cancelled first)", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "http.request",
      input: { url: "https://api.example.com/hooks", method: "POST", body: { hello: "world" } },
      delayMs: 3_600_000,
    });
    expect(job).toMatchObject({
      status: "queued",
      maxAttempts: 5,
      timeoutMs: 30_000,
      durable: false,
      input: { url: "https://api.example.com/hooks", method: "POST", headers: {}, body: { hello: "world" }, maxResponseBytes: 65_536 },
    });
    await json<Job>(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
  });

  it("retries a request that cannot connect (a closed loopback port), then fails", async () => {
    const { key } = await newTenant();
    // Nothing listens on port 1 of this machine: the connection is refused without leaving it.
    const job = await submit(key, {
      type: "http.request",
      input: { url: "http://127.0.0.1:1/" },
      maxAttempts: 2,
      backoff: { type: "fixed", baseMs: 0 },
    });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "failed", attempts: 2, error: { retryable: true } });
    const attempts = await attemptsOf(key, job.id);
    expect(attempts.map((a) => a.outcome)).toEqual(["failed", "failed"]);
    expect(attempts[0]!.error).toMatchObject({ retryable: true });
  });
});
