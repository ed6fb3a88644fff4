import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../src/jobs/http-request";
import type { Job } from "../../src/schemas/job";
import { attemptsOf } from "./engine-helpers";
import { api, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

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
    // The tests' configuration allows 127.0.0.1:1 (vitest.config.ts), so the request is sent; `127.1`
    // is the same host to the allow list, as to the address rules.
    const job = await submit(key, {
      type: "http.request",
      input: { url: "http://127.1:1/" },
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

/** Every spelling of an internal destination, with the refusal it must fail with. */
const REFUSED: [url: string, reason: string][] = [
  ["http://127.0.0.1/", "127.0.0.1 is a loopback address"],
  ["http://127.1/", "127.0.0.1 is a loopback address"],
  ["http://2130706433/", "127.0.0.1 is a loopback address"],
  ["http://0x7f.0.0.1/", "127.0.0.1 is a loopback address"],
  ["http://0x7f000001/", "127.0.0.1 is a loopback address"],
  ["http://0177.0.0.1/", "127.0.0.1 is a loopback address"],
  ["http://127.0.0.1.:8787/api/v1/jobs", "127.0.0.1 is a loopback address"],
  ["http://127.0.0.1:2/", "127.0.0.1 is a loopback address"], // the allow list names port 1 only
  ["http://0.0.0.0/", "0.0.0.0 is an unspecified address"],
  ["http://0/", "0.0.0.0 is an unspecified address"],
  ["http://localhost/", "localhost is a loopback name"],
  ["http://LOCALHOST./", "localhost is a loopback name"],
  ["http://api.localhost:8787/", "api.localhost is a loopback name"],
  ["http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1] is an IPv4-mapped address of 127.0.0.1, a loopback address"],
  ["http://[::ffff:7f00:1]/", "[::ffff:7f00:1] is an IPv4-mapped address of 127.0.0.1, a loopback address"],
  ["http://[0:0:0:0:0:ffff:a9fe:a9fe]/", "[::ffff:a9fe:a9fe] is an IPv4-mapped address of 169.254.169.254, a link-local address"],
  ["http://[::1]/", "[::1] is a loopback address"],
  ["http://[::]/", "[::] is an unspecified address"],
  ["http://[fd12:3456::1]/", "[fd12:3456::1] is a unique local (private) address (fc00::/7)"],
  ["http://[fe80::1]/", "[fe80::1] is a link-local address"],
  ["http://[ff02::1]/", "[ff02::1] is a multicast address"],
  ["http://[64:ff9b::10.0.0.1]/", "[64:ff9b::a00:1] is a NAT64 address of 10.0.0.1, a private address (10.0.0.0/8)"],
  ["http://[2002:7f00:1::]/", "[2002:7f00:1::] is a 6to4 address of 127.0.0.1, a loopback address"],
  ["http://10.1.2.3/", "10.1.2.3 is a private address (10.0.0.0/8)"],
  ["http://172.16.0.1/", "172.16.0.1 is a private address (172.16.0.0/12)"],
  ["http://192.168.0.1/", "192.168.0.1 is a private address (192.168.0.0/16)"],
  ["http://100.64.0.1/", "100.64.0.1 is a carrier-grade NAT address (100.64.0.0/10)"],
  ["http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"],
  ["http://224.0.0.251/", "224.0.0.251 is a multicast address"],
  ["http://255.255.255.255/", "255.255.255.255 is a broadcast address"],
  ["http://240.0.0.1/", "240.0.0.1 is a reserved address (240.0.0.0/4)"],
  ["http://intranet/", "intranet is a single-label name (not a public DNS name)"],
  ["http://db.internal/", "db.internal is a private network name (.internal)"],
  // The workerd tests' configuration (vitest.config.ts) names these.
  ["https://jobs.test/api/v1/jobs", "jobs.test is the platform's own host (PLATFORM_HOSTS)"],
  ["https://www.denied.example/", "www.denied.example is on the operator's denylist (OUTBOUND_DENY_HOSTS)"],
];

describe("http.request refuses internal destinations", () => {
  it.each(REFUSED)("fails a job to %s at once, non-retryable: %s", async (url, reason) => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "http.request", input: { url, method: "POST", body: { type: "simulate" } }, maxAttempts: 3 });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({
      status: "failed",
      attempts: 1,
      result: null,
      error: { name: "NonRetryableError", message: `outbound request refused: ${reason}`, retryable: false },
    });
  });

  it("fails every item of a batch fanning out to loopback, each at its first attempt", async () => {
    const { key } = await newTenant();
    const urls = ["http://127.1:8787/api/v1/jobs", "http://2130706433:8787/api/v1/jobs", "http://localhost:8787/api/v1/jobs", "http://[::ffff:127.0.0.1]:8787/api/v1/jobs", "http://0.0.0.0:8787/api/v1/jobs"];
    const items = Array.from({ length: 50 }, (_, i) => ({ url: urls[i % urls.length], method: "POST", body: { type: "simulate" } }));
    const job = await submit(key, { type: "batch", input: { itemType: "http.request", items, concurrency: 50 } });
    const done = await waitForStatus(key, job.id, ["completed", "failed"], 30_000);
    expect(done).toMatchObject({ status: "completed", result: { total: 50, succeeded: 0, failed: 50 } });
    const list = await waitFor(
      async () => (await json(await api(`/jobs/${job.id}/items?limit=100`, { key }), 200)).items as any[],
      (all) => all.length === 50,
    );
    for (const item of list) {
      expect(item).toMatchObject({ status: "failed", attempts: 1, result: null, error: { name: "NonRetryableError" } });
      expect(item.error.message).toMatch(/^outbound request refused: (127\.0\.0\.1|localhost|\[::ffff:7f00:1\]|0\.0\.0\.0) is (a loopback|an IPv4-mapped|an unspecified)/);
    }
  });
});
