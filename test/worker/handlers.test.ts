// Job types served by a tenant's own endpoint: registration, validation at submit, the attempt
// tokens of callbacks, and the time limit of an attempt left open. The calls to a live handler
// (sync answers, 202 and callbacks, retries, signatures) are in test/e2e/handlers.test.ts.
import { describe, expect, it } from "vitest";
import { callbackUrls } from "../../src/handlers/callback-token";
import { signatureHeader, verifySignature } from "../../src/handlers/signature";
import { jobRow, sweepEveryShard, updateJobRow } from "./engine-helpers";
import { api, dbOf, envOf, json, newTenant } from "./helpers";

const SCHEMA = {
  type: "object",
  required: ["invoiceId"],
  properties: { invoiceId: { type: "string", minLength: 3 }, copies: { type: "integer", minimum: 1 } },
  additionalProperties: false,
};

async function tenantWithAdmin() {
  return newTenant(["jobs:read", "jobs:write", "admin"]);
}

async function register(key: string, body: Record<string, unknown>) {
  return api("/handlers", { key, body: { url: "http://127.0.0.1:1/jobs", ...body } });
}

describe("registering a handler", () => {
  it("answers the handler and its secret once, with its Location; reading it never shows the secret", async () => {
    const { key } = await tenantWithAdmin();
    const res = await register(key, { type: "acme.invoice", inputSchema: SCHEMA, timeoutMs: 3_600_000, concurrency: { limit: 2 }, rateLimit: { limit: 5, windowMs: 60_000 } });
    const created = await json(res, 201);
    expect(res.headers.get("location")).toBe("/api/v1/handlers/acme.invoice");
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(created.handler).toMatchObject({ type: "acme.invoice", timeoutMs: 3_600_000, concurrency: { limit: 2 }, rateLimit: { limit: 5, windowMs: 60_000, mode: "reject" }, retry: { maxAttempts: 3 } });
    const read = await json(await api("/handlers/acme.invoice", { key }), 200);
    expect(read).toEqual(created.handler);
    expect(JSON.stringify(read)).not.toContain(created.secret);
    const listed = await json(await api("/handlers", { key }), 200);
    expect(listed.items.map((h: { type: string }) => h.type)).toEqual(["acme.invoice"]);
    const rules = await json(await api("/rate-limits", { key }), 200);
    expect(rules.items).toContainEqual({ action: "acme.invoice", limit: 5, windowMs: 60_000, mode: "reject", source: "tenant" });
  });

  it("refuses built-in type names, duplicates, bad schemas and refused URLs with clear 4xx errors", async () => {
    const { key } = await tenantWithAdmin();
    expect((await json(await register(key, { type: "simulate" }), 409)).error.code).toBe("handler_type_taken");
    await json(await register(key, { type: "acme.a" }), 201);
    expect((await json(await register(key, { type: "acme.a" }), 409)).error.code).toBe("handler_exists");
    const badType = await json(await register(key, { type: "Acme Invoice" }), 400);
    expect(badType.error.details.map((d: { path: string }) => d.path)).toContain("type");
    const badSchema = await json(await register(key, { type: "acme.b", inputSchema: { type: "strnig" } }), 422);
    expect(badSchema.error).toMatchObject({ code: "invalid_handler", details: [{ path: "inputSchema.type" }] });
    const badRef = await json(await register(key, { type: "acme.c", inputSchema: { $ref: "#/$defs/missing" } }), 422);
    expect(badRef.error.code).toBe("invalid_handler");
    const internal = await json(await register(key, { type: "acme.d", url: "http://169.254.169.254/latest" }), 422);
    expect(internal.error).toMatchObject({ code: "invalid_handler", details: [{ path: "url" }] });
    expect((await json(await register(key, { type: "acme.e", url: "ftp://example.com" }), 400)).error.details[0].path).toBe("url");
    const list = await json(await api("/handlers", { key }), 200);
    expect(list.items.map((h: { type: string }) => h.type)).toEqual(["acme.a"]);
  });

  it("needs the admin scope to register, and keeps each tenant's handlers to itself", async () => {
    const plain = await newTenant(["jobs:read", "jobs:write"]);
    expect((await register(plain.key, { type: "acme.x" })).status).toBe(403);
    const owner = await tenantWithAdmin();
    await json(await register(owner.key, { type: "acme.private" }), 201);
    const other = await tenantWithAdmin();
    expect((await api("/handlers/acme.private", { key: other.key })).status).toBe(404);
    const submitted = await json(await api("/jobs", { key: other.key, body: { type: "acme.private", input: {} } }), 422);
    expect(submitted.error.details).toEqual([{ path: "type", message: 'unknown job type "acme.private"' }]);
  });

  it("changes, rotates and deletes a handler", async () => {
    const { key } = await tenantWithAdmin();
    const { secret } = await json(await register(key, { type: "acme.patch", rateLimit: { limit: 2, windowMs: 1_000 } }), 201);
    const patched = await json(await api("/handlers/acme.patch", { key, method: "PATCH", body: { timeoutMs: 5_000, rateLimit: null, retry: { maxAttempts: 7 } } }), 200);
    expect(patched).toMatchObject({ timeoutMs: 5_000, rateLimit: null, retry: { maxAttempts: 7 }, previousSecretExpiresAt: null });
    const rotated = await json(await api("/handlers/acme.patch/secret", { key, method: "POST" }), 200);
    expect(rotated.secret).not.toBe(secret);
    expect(Date.parse(rotated.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect((await json(await api("/handlers/acme.patch", { key }), 200)).previousSecretExpiresAt).toBe(rotated.previousSecretExpiresAt);
    expect((await api("/handlers/acme.patch", { key, method: "DELETE" })).status).toBe(204);
    expect((await api("/handlers/acme.patch", { key })).status).toBe(404);
    expect((await api("/handlers/acme.patch", { key, method: "DELETE" })).status).toBe(404);
  });
});

describe("submitting a handler's jobs", () => {
  it("validates the input against the handler's JSON Schema, reporting each field, and writes nothing when it fails", async () => {
    const { key } = await tenantWithAdmin();
    await json(await register(key, { type: "acme.strict", inputSchema: SCHEMA }), 201);
    const refused = await json(await api("/jobs", { key, body: { type: "acme.strict", input: { invoiceId: "x", copies: 0, extra: true } } }), 422);
    expect(refused.error.code).toBe("invalid_job");
    expect(refused.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["input.copies", "input.extra", "input.invoiceId"]);
    expect((await json(await api("/jobs?type=acme.strict", { key }), 200)).items).toEqual([]);
    const job = await json(await api("/jobs", { key, body: { type: "acme.strict", input: { invoiceId: "inv-1" } } }), 202);
    expect(job).toMatchObject({ type: "acme.strict", status: "queued", maxAttempts: 3 });
  });

  it("takes the handler's retry and long time limit, and its rate limit refuses with 429", async () => {
    const { key } = await tenantWithAdmin();
    await json(await register(key, { type: "acme.slow", timeoutMs: 7_200_000, retry: { maxAttempts: 5 }, rateLimit: { limit: 1, windowMs: 60_000 } }), 201);
    const job = await json(await api("/jobs", { key, body: { type: "acme.slow", input: {} } }), 202);
    expect(job).toMatchObject({ maxAttempts: 5, timeoutMs: 7_200_000 });
    const limited = await api("/jobs", { key, body: { type: "acme.slow", input: {} } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeTruthy();
    const tooLong = await json(await api("/jobs", { key, body: { type: "simulate", timeoutMs: 7_200_000 } }), 422);
    expect(tooLong.error.details[0].path).toBe("timeoutMs");
  });

  it("accepts schedules of a handler's jobs and counts them in the stats by type", async () => {
    const { key } = await tenantWithAdmin();
    await json(await register(key, { type: "acme.nightly" }), 201);
    const schedule = await api("/schedules", { key, body: { name: "nightly", cron: "0 3 * * *", job: { type: "acme.nightly", input: { a: 1 } } } });
    expect(schedule.status).toBe(201);
    await json(await api("/jobs", { key, body: { type: "acme.nightly", input: {} } }), 202);
    const stats = await json(await api("/stats", { key }), 200);
    expect(JSON.stringify(stats)).toContain("acme.nightly");
  });
});

describe("callbacks", () => {
  it("refuses a forged token, and tells a real token of an attempt that is not open that it is over", async () => {
    const { key, tenant } = await tenantWithAdmin();
    await json(await register(key, { type: "acme.cb" }), 201);
    const job = await json(await api("/jobs", { key, body: { type: "acme.cb", input: {}, runAt: new Date(Date.now() + 3_600_000).toISOString() } }), 202);
    const urls = await callbackUrls(envOf(tenant), "https://jobs.test", { tenant, jobId: job.id, series: 0, attempt: 1 });
    const path = (url: string) => url.replace("https://jobs.test/api/v1", "");
    const forged = path(urls.complete).replace(/\.[\w-]+\/complete$/, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/complete");
    expect((await json(await api(forged, { key: null, body: { result: 1 } }), 401)).error.code).toBe("unauthorized");
    const otherTenant = path(urls.complete).replace(`/callbacks/${tenant}/`, "/callbacks/someone-else/");
    expect((await api(otherTenant, { key: null, body: { result: 1 } })).status).toBe(401);
    const over = await json(await api(path(urls.complete), { key: null, body: { result: 1 } }), 409);
    expect(over.error).toMatchObject({ code: "attempt_over", details: { status: "queued", attempt: 0 } });
    expect((await json(await api(path(urls.fail), { key: null, body: { error: {} } }), 400)).error.code).toBe("validation_failed");
    expect((await api(`/jobs/${job.id}`, { key })).status).toBe(200);
  });

  it("times out an attempt left open past its time limit, and retries it", async () => {
    const { key, tenant } = await tenantWithAdmin();
    await json(await register(key, { type: "acme.open", timeoutMs: 1_000, retry: { maxAttempts: 2, backoff: { type: "fixed", baseMs: 1_000 } } }), 201);
    const job = await json(await api("/jobs", { key, body: { type: "acme.open", input: {}, runAt: new Date(Date.now() + 3_600_000).toISOString() } }), 202);
    // As the consumer leaves it once the handler answered 202: running under its claim, waiting.
    const startedAt = Date.now() - 5_000;
    await updateJobRow(job.id, { status: "running", attempts: 1, claimToken: "claim_test", attemptStartedAt: startedAt, attemptOutcome: "running", heartbeatAt: startedAt });
    await dbOf(tenant).prepare("INSERT INTO handler_waits (job_id, claim_token, deadline) VALUES (?, ?, ?)").bind(job.id, "claim_test", startedAt + 1_000).run();
    await sweepEveryShard();
    const row = await jobRow(job.id);
    expect(row).toMatchObject({ status: "retrying", attemptOutcome: "timed_out", claimToken: null });
    expect(JSON.parse(row.error!)).toMatchObject({ name: "AttemptTimeoutError" });
    const waits = await dbOf(tenant).prepare("SELECT count(*) AS n FROM handler_waits WHERE job_id = ?").bind(job.id).first<{ n: number }>();
    expect(waits?.n).toBe(0);
  });
});

describe("signatures", () => {
  it("signs with every secret in force and verifies only the exact body, secret and recent time", async () => {
    const body = JSON.stringify({ job: { id: "job_1" } });
    const now = Date.now();
    const header = await signatureHeader(["whsec_new", "whsec_old"], body, now);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(await verifySignature(body, header, "whsec_new", { now })).toBe(true);
    expect(await verifySignature(body, header, "whsec_old", { now })).toBe(true);
    expect(await verifySignature(`${body} `, header, "whsec_new", { now })).toBe(false);
    expect(await verifySignature(body, header, "whsec_other", { now })).toBe(false);
    expect(await verifySignature(body, header, "whsec_new", { now: now + 301_000 })).toBe(false);
    expect(await verifySignature(body, null, "whsec_new")).toBe(false);
    expect(await verifySignature(body, "t=abc,v1=00", "whsec_new")).toBe(false);
  });
});
