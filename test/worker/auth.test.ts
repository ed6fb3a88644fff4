import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createExecutionContext } from "cloudflare:test";
import { createApp } from "../../src/api/app";
import { signEventToken, verifyEventToken } from "../../src/api/event-token";
import { mintKey } from "../../src/api/keys";
import { safeEqual } from "../../src/crypto";
import { expectError, later } from "./api-helpers";
import { ADMIN_KEY, api, dbOf, json, newTenant, rowsInEveryShard, submit } from "./helpers";

const FAKE_ID = "job_00000000000000000000000000";

/** Every route behind `Authorization: Bearer`, with a body where the route takes one. */
const PROTECTED: [method: string, path: string, body?: unknown][] = [
  ["POST", "/jobs", { type: "simulate" }],
  ["POST", "/jobs/batch", { jobs: [{ type: "simulate" }] }],
  ["GET", "/jobs"],
  ["GET", `/jobs/${FAKE_ID}`],
  ["GET", `/jobs/${FAKE_ID}/result`],
  ["GET", `/jobs/${FAKE_ID}/attempts`],
  ["GET", `/jobs/${FAKE_ID}/logs`],
  ["POST", `/jobs/${FAKE_ID}/cancel`],
  ["POST", `/jobs/${FAKE_ID}/retry`],
  ["POST", `/jobs/${FAKE_ID}/events/token`],
  ["GET", `/jobs/${FAKE_ID}/events`],
  ["GET", "/dead-letters"],
  ["DELETE", "/dead-letters"],
  ["POST", `/dead-letters/${FAKE_ID}/replay`],
  ["DELETE", `/dead-letters/${FAKE_ID}`],
  ["GET", "/queues"],
  ["POST", "/queues/normal/pause"],
  ["POST", "/queues/normal/resume"],
  ["GET", "/stats"],
  ["GET", "/keys"],
  ["POST", "/keys", { name: "x", tenant: "someone" }],
  ["DELETE", "/keys/key_0000"],
];

const call = (method: string, path: string, key: string | null, body?: unknown, headers?: Record<string, string>) =>
  api(path, { method, key, body, headers: { accept: "text/event-stream", ...headers } });

/** The api_keys row for a key id, read straight from D1. */
const keyRow = async (id: string) => (await rowsInEveryShard("SELECT * FROM api_keys WHERE id = ?", id))[0] ?? null;

describe("authentication", () => {
  it.each(PROTECTED)("%s %s without a key is 401 unauthorized", async (method, path, body) => {
    await expectError(await call(method, path, null, body), 401, "unauthorized");
  });

  it.each(PROTECTED)("%s %s with a wrong key is 401 unauthorized", async (method, path, body) => {
    await expectError(await call(method, path, "ejk_not-a-real-key", body), 401, "unauthorized");
  });

  it.each([
    ["a Basic scheme", "Basic dGVzdC1hZG1pbi1rZXk6"],
    ["a bare key", ADMIN_KEY],
    ["an empty bearer", "Bearer "],
    ["the admin key with a suffix", `Bearer ${ADMIN_KEY}x`],
  ])("rejects %s in the Authorization header", async (_what, header) => {
    const res = await api("/jobs", { key: null, headers: { authorization: header } });
    await expectError(res, 401, "unauthorized");
  });

  it("an unauthenticated submit creates no job", async () => {
    const { key } = await newTenant();
    await expectError(await call("POST", "/jobs", "wrong", later()), 401);
    expect((await json(await api("/jobs", { key }), 200)).items).toEqual([]);
  });

  it("GET /api/v1/health needs no key", async () => {
    const res = await exports.default.fetch("https://jobs.test/api/v1/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("GET /api/v1/openapi.json needs no key", async () => {
    const res = await exports.default.fetch("https://jobs.test/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ openapi: "3.1.0" });
  });

  it("a tenant key works on the routes its scopes allow", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    expect((await json(await api(`/jobs/${job.id}`, { key }), 200)).id).toBe(job.id);
    await json(await api("/stats", { key }), 200);
  });
});

describe("API keys", () => {
  it("POST /keys returns the key once, with its metadata", async () => {
    const res = await api("/keys", { body: { name: "ci", tenant: "acme-1", scopes: ["jobs:read"] } });
    const created = await json(res, 201);
    expect(Object.keys(created).sort()).toEqual(["createdAt", "id", "key", "name", "prefix", "revokedAt", "scopes", "tenant"]);
    expect(created).toMatchObject({ name: "ci", tenant: "acme-1", scopes: ["jobs:read"], revokedAt: null });
    expect(typeof created.key).toBe("string");
    expect(created.key.length).toBeGreaterThanOrEqual(32);
    expect(created.key).not.toMatch(/\s/);
    // Its type and its last characters: keys differ there (their first characters are all alike).
    expect(created.prefix).toBe(`ejk_…${created.key.slice(-6)}`);
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
  });

  it("defaults scopes to jobs:read and jobs:write", async () => {
    const created = await json(await api("/keys", { body: { name: "d", tenant: "acme-2" } }), 201);
    expect(created.scopes.sort()).toEqual(["jobs:read", "jobs:write"]);
  });

  it.each([
    ["a bad tenant", { name: "x", tenant: "Has Spaces" }],
    ["an unknown scope", { name: "x", tenant: "t1", scopes: ["jobs:delete"] }],
    ["no scopes", { name: "x", tenant: "t1", scopes: [] }],
    ["no name", { tenant: "t1" }],
    ["an extra field", { name: "x", tenant: "t1", admin: true }],
  ])("rejects a key request with %s", async (_what, body) => {
    await expectError(await api("/keys", { body }), 400, "validation_failed");
  });

  it("listing keys never returns the key or its hash", async () => {
    const { tenant, key, id } = await newTenant();
    const hash = String((await keyRow(id))!.hash);
    expect(hash.length).toBeGreaterThan(0);
    for (const query of [`?tenant=${tenant}`, "", "?includeRevoked=true"]) {
      const res = await api(`/keys${query}`);
      const text = await res.clone().text();
      const { items } = await json(res, 200);
      const mine = items.find((k: { id: string }) => k.id === id);
      expect(mine).toMatchObject({ id, tenant, name: "test", revokedAt: null });
      expect(mine).not.toHaveProperty("key");
      expect(mine).not.toHaveProperty("hash");
      expect(text).not.toContain(key);
      expect(text).not.toContain(hash);
    }
  });

  it("lists only the tenant asked for", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const { items } = await json(await api(`/keys?tenant=${a.tenant}`), 200);
    expect(items.map((k: { id: string }) => k.id)).toEqual([a.id]);
    expect(items.map((k: { id: string }) => k.id)).not.toContain(b.id);
  });

  it("stores only a hash of the key in D1", async () => {
    const { key, id } = await newTenant();
    const row = await keyRow(id);
    expect(row).not.toBeNull();
    expect(String(row!.prefix)).toBe(`ejk_…${key.slice(-6)}`);
    for (const [column, value] of Object.entries(row!)) {
      expect(String(value), `column ${column}`).not.toContain(key);
      // nor any chunk of it
      for (let i = 0; i + 16 <= key.length; i += 8) {
        expect(String(value), `column ${column}`).not.toContain(key.slice(i, i + 16));
      }
    }
    expect(String(row!.hash)).toMatch(/^[0-9a-f]{64,}$/);
  });

  it("revoking a key makes it stop working at once", async () => {
    const { key, id } = await newTenant();
    await json(await api("/jobs", { key }), 200);
    const revoked = await json(await api(`/keys/${id}`, { method: "DELETE" }), 200);
    expect(revoked.id).toBe(id);
    expect(new Date(revoked.revokedAt).toISOString()).toBe(revoked.revokedAt);
    await expectError(await api("/jobs", { key }), 401, "unauthorized");
    await expectError(await api("/jobs", { key, body: later() }), 401, "unauthorized");
  });

  it("a revoked key is 401 on every route its scopes allowed", async () => {
    const { tenant, key, id } = await newTenant();
    const job = await submit(key, later());
    await json(await api(`/keys/${id}`, { method: "DELETE" }), 200);
    const allowed = PROTECTED.filter(([, path]) => !path.startsWith("/keys") && !path.startsWith("/queues/"));
    for (const [method, path, body] of allowed) {
      const res = await call(method, path.replace(FAKE_ID, job.id), key, body);
      await expectError(res, 401, "unauthorized");
    }
    // Neither the submit nor the batch above wrote a job; the job from before is untouched.
    const { results } = await dbOf(tenant).prepare("SELECT id, status FROM jobs WHERE tenant = ?").bind(tenant).all();
    expect(results).toEqual([{ id: job.id, status: "queued" }]);
  });

  it("a revoked key is 401 (not 403) on admin routes too", async () => {
    const { key, id } = await newTenant();
    await json(await api(`/keys/${id}`, { method: "DELETE" }), 200);
    for (const [method, path, body] of PROTECTED.filter(([, p]) => p.startsWith("/keys") || p.startsWith("/queues/"))) {
      await expectError(await call(method, path, key, body), 401, "unauthorized");
    }
  });

  it("a tampered key is 401", async () => {
    const { key } = await newTenant();
    await json(await api("/jobs", { key }), 200);
    const flip = (i: number) => key.slice(0, i) + (key[i] === "A" ? "B" : "A") + key.slice(i + 1);
    for (const i of [key.length - 1, Math.floor(key.length / 2), 14, 20]) {
      await expectError(await api("/jobs", { key: flip(i) }), 401, "unauthorized");
    }
    await expectError(await api("/jobs", { key: key.slice(0, -4) }), 401, "unauthorized");
    await expectError(await api("/jobs", { key: `${key}x` }), 401, "unauthorized");
  });

  it("revoked keys are hidden from the list unless includeRevoked=true", async () => {
    const { tenant, id } = await newTenant();
    await json(await api(`/keys/${id}`, { method: "DELETE" }), 200);
    expect((await json(await api(`/keys?tenant=${tenant}`), 200)).items).toEqual([]);
    const all = await json(await api(`/keys?tenant=${tenant}&includeRevoked=true`), 200);
    expect(all.items).toEqual([expect.objectContaining({ id, revokedAt: expect.any(String) })]);
  });

  it("revoking an unknown key is 404", async () => {
    await expectError(await api("/keys/key_nope", { method: "DELETE" }), 404, "not_found");
  });

  it("a revoked key cannot open an event stream either", async () => {
    const { key, id } = await newTenant();
    const job = await submit(key, later());
    await json(await api(`/keys/${id}`, { method: "DELETE" }), 200);
    await expectError(await call("GET", `/jobs/${job.id}/events`, key), 401, "unauthorized");
  });
});

describe("a key that is not live, before any body validation", () => {
  /** Bodies each refused for a different reason before the submit's D1 write (which checks the key). */
  const BAD_SUBMITS: [what: string, path: string, body: string, contentType: string][] = [
    ["malformed JSON", "/jobs", "{", "application/json"],
    ["a body failing the schema", "/jobs", JSON.stringify({ type: 5 }), "application/json"],
    ["an unknown job type", "/jobs", JSON.stringify({ type: "no-such-type" }), "application/json"],
    ["an input its job type refuses", "/jobs", JSON.stringify({ type: "simulate", input: { steps: 0 } }), "application/json"],
    ["the wrong content type", "/jobs", "type=simulate", "text/plain"],
    ["an empty batch", "/jobs/batch", JSON.stringify({ jobs: [] }), "application/json"],
    ["a batch with a bad job", "/jobs/batch", JSON.stringify({ jobs: [{ type: "no-such-type" }] }), "application/json"],
    ["a bad refresh", "/refresh/r1", JSON.stringify({ type: 5 }), "application/json"],
    ["a bad schedule", "/schedules", JSON.stringify({ name: "" }), "application/json"],
    ["a bad template", "/templates", JSON.stringify({ name: "" }), "application/json"],
  ];
  const scopes = ["jobs:read", "jobs:write", "reports:read", "reports:write"];

  it.each(BAD_SUBMITS)("a revoked key with %s (POST %s) is 401, not the body's error", async (_what, path, body, contentType) => {
    const { tenant, key, id } = await newTenant(scopes);
    await json(await api(`/keys/${id}`, { method: "DELETE" }), 200);
    await expectError(await api(path, { key, body, headers: { "content-type": contentType } }), 401, "unauthorized");
    const { results } = await dbOf(tenant).prepare("SELECT id FROM jobs WHERE tenant = ?").bind(tenant).all();
    expect(results).toEqual([]);
  });

  it.each(BAD_SUBMITS)("a well-signed key never stored with %s (POST %s) is 401", async (_what, path, body, contentType) => {
    const key = await mintKey(env.SIGNING_SECRET, { id: "key_never_stored", tenant: "ghost", scopes: scopes as never });
    await expectError(await api(path, { key, body, headers: { "content-type": contentType } }), 401, "unauthorized");
  });

  it("a live key with the same bad bodies still gets the body's error", async () => {
    const { key } = await newTenant(scopes);
    await expectError(await api("/jobs", { key, body: "{" }), 400, "malformed_json");
    await expectError(await api("/jobs", { key, body: { type: "no-such-type" } }), 422, "invalid_job");
    await expectError(await api("/jobs/batch", { key, body: { jobs: [] } }), 400, "validation_failed");
  });
});

describe("safeEqual", () => {
  it("answers equal only for equal strings, whatever their lengths", async () => {
    expect(await safeEqual(ADMIN_KEY, ADMIN_KEY)).toBe(true);
    for (const other of ["", "t", ADMIN_KEY.slice(0, -1), `${ADMIN_KEY}x`, ADMIN_KEY.replace("t", "T"), "é".repeat(ADMIN_KEY.length)]) {
      expect(await safeEqual(ADMIN_KEY, other), other).toBe(false);
    }
  });

  it("runs the constant-time comparison on equal-length inputs even when the strings' lengths differ", async () => {
    // Returning early on a length mismatch answers faster for a guess of the wrong length, which
    // tells an attacker the secret's length. So the comparison must always run, on inputs of one
    // length (digests); timing itself cannot be asserted in a test, so this watches the call
    // (a pass-through spy: the real comparison still answers).
    const compared: [number, number][] = [];
    const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean };
    const real = subtle.timingSafeEqual.bind(subtle);
    const spy = vi.spyOn(subtle, "timingSafeEqual").mockImplementation((a, b) => {
      compared.push([a.byteLength, b.byteLength]);
      return real(a, b);
    });
    try {
      expect(await safeEqual("short", "a much longer secret value")).toBe(false);
    } finally {
      spy.mockRestore();
    }
    expect(compared).toHaveLength(1);
    expect(compared[0]![0]).toBe(compared[0]![1]);
  });
});

describe("scopes", () => {
  it("a jobs:read key can read but not submit, batch, cancel or retry", async () => {
    const writer = await newTenant();
    const { key: reader } = await newTenantKey(writer.tenant, ["jobs:read"]);
    const job = await submit(writer.key, later());

    await json(await api(`/jobs/${job.id}`, { key: reader }), 200);
    await json(await api("/jobs", { key: reader }), 200);
    await expectError(await api("/jobs", { key: reader, body: later() }), 403, "forbidden");
    await expectError(await api("/jobs/batch", { key: reader, body: { jobs: [later()] } }), 403, "forbidden");
    await expectError(await api(`/jobs/${job.id}/cancel`, { key: reader, method: "POST" }), 403, "forbidden");
    await expectError(await api(`/jobs/${job.id}/retry`, { key: reader, method: "POST" }), 403, "forbidden");
    await expectError(await api(`/dead-letters/${job.id}/replay`, { key: reader, method: "POST" }), 403, "forbidden");
    await expectError(await api("/dead-letters", { key: reader, method: "DELETE" }), 403, "forbidden");

    const after = await json(await api(`/jobs/${job.id}`, { key: reader }), 200);
    expect(after.status).toBe("queued");
    expect((await json(await api("/jobs", { key: reader }), 200)).items).toHaveLength(1);
  });

  it("a jobs:write-only key can submit and cancel but not read", async () => {
    const { key } = await newTenant(["jobs:write"]);
    const job = await submit(key, later());
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
    for (const path of ["/jobs", `/jobs/${job.id}`, `/jobs/${job.id}/attempts`, `/jobs/${job.id}/logs`, "/stats", "/queues", "/dead-letters"]) {
      await expectError(await api(path, { key }), 403, "forbidden");
    }
    await expectError(await api(`/jobs/${job.id}/events/token`, { key, method: "POST" }), 403, "forbidden");
    await expectError(await call("GET", `/jobs/${job.id}/events`, key), 403, "forbidden");
  });

  it("a non-admin key cannot manage keys or lanes", async () => {
    const { key, id } = await newTenant(["jobs:read", "jobs:write"]);
    await expectError(await api("/keys", { key, body: { name: "x", tenant: "evil" } }), 403, "forbidden");
    await expectError(await api("/keys", { key }), 403, "forbidden");
    await expectError(await api(`/keys/${id}`, { key, method: "DELETE" }), 403, "forbidden");
    await expectError(await api("/queues/normal/pause", { key, method: "POST" }), 403, "forbidden");
    await expectError(await api("/queues/normal/resume", { key, method: "POST" }), 403, "forbidden");
    // The key is still live and the lane is not paused.
    await json(await api("/jobs", { key }), 200);
    const lanes = await json(await api("/queues"), 200);
    expect(lanes.items.find((l: { lane: string }) => l.lane === "normal").paused).toBe(false);
  });

  it("a tenant's admin key manages its own tenant's keys, and nothing of other tenants or the lanes", async () => {
    const { key, tenant } = await newTenant(["admin"]);
    const created = await json(await api("/keys", { key, body: { name: "by-admin", tenant } }), 201);
    expect(created.tenant).toBe(tenant);
    await json(await api("/keys", { key, body: { name: "elsewhere", tenant: "other-1" } }), 403);
    const other = await newTenantKey("other-2", ["jobs:read"]);
    await json(await api(`/keys/${other.id}`, { key, method: "DELETE" }), 404);
    const listed = await json(await api("/keys?tenant=other-2", { key }), 200);
    expect(listed.items.map((k: { tenant: string }) => k.tenant)).toEqual(expect.arrayContaining([tenant]));
    expect(listed.items.every((k: { tenant: string }) => k.tenant === tenant)).toBe(true);
    await json(await api("/queues/low/pause", { key, method: "POST" }), 403);
  });

  it("the platform's admin key manages any tenant's keys and the lanes", async () => {
    const created = await json(await api("/keys", { body: { name: "by-platform", tenant: "other-3" } }), 201);
    expect(created.tenant).toBe("other-3");
    expect(await json(await api("/queues/low/pause", { method: "POST" }), 200)).toEqual({ lane: "low", paused: true });
    expect(await json(await api("/queues/low/resume", { method: "POST" }), 200)).toEqual({ lane: "low", paused: false });
  });
});

/** A key for an existing tenant. */
async function newTenantKey(tenant: string, scopes: string[]) {
  const created = await json(await api("/keys", { body: { name: "extra", tenant, scopes } }), 201);
  return { key: created.key as string, id: created.id as string };
}

describe("watch tokens", () => {
  it("POST /jobs/{id}/events/token returns {token, expiresAt, url}", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    const before = Date.now();
    const body = await json(await api(`/jobs/${job.id}/events/token`, { key, method: "POST" }), 201);
    expect(Object.keys(body).sort()).toEqual(["expiresAt", "token", "url"]);
    expect(body.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(body.url).toBe(`/api/v1/jobs/${job.id}/events?token=${encodeURIComponent(body.token)}`);
    const expires = Date.parse(body.expiresAt);
    expect(expires).toBeGreaterThan(before);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60 * 60_000);
  });

  it("a valid token opens the SSE stream without a key", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    const { url } = await json(await api(`/jobs/${job.id}/events/token`, { key, method: "POST" }), 201);
    const res = await exports.default.fetch(`https://jobs.test${url}`, { headers: { accept: "text/event-stream" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("event: snapshot")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain("event: snapshot");
    expect(text).toContain(job.id);
  });

  it("an altered token is 401", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const jobB = await submit(b.key, later());
    const { token } = await json(await api(`/jobs/${jobB.id}/events/token`, { key: b.key, method: "POST" }), 201);
    const [payload, signature] = token.split(".");
    // Same signature, claims rewritten to another tenant.
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const rewritten = btoa(JSON.stringify({ ...claims, tenant: a.tenant })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const flipped = signature.slice(0, -2) + (signature.endsWith("AA") ? "BB" : "AA");
    for (const forged of [`${rewritten}.${signature}`, `${payload}.${flipped}`, `${payload}.`, payload, "garbage", `${token}.extra`]) {
      const res = await exports.default.fetch(`https://jobs.test/api/v1/jobs/${jobB.id}/events?token=${encodeURIComponent(forged)}`, {
        headers: { accept: "text/event-stream" },
      });
      await expectError(res, 401, "unauthorized");
    }
  });

  it("a token signed with another secret is 401", async () => {
    const { tenant, key } = await newTenant();
    const job = await submit(key, later());
    const token = await signEventToken("some-other-secret", { tenant, jobId: job.id, exp: Date.now() + 60_000, keyId: null });
    const res = await exports.default.fetch(`https://jobs.test/api/v1/jobs/${job.id}/events?token=${encodeURIComponent(token)}`, {
      headers: { accept: "text/event-stream" },
    });
    await expectError(res, 401, "unauthorized");
  });

  it("an expired token is 401", async () => {
    const { tenant, key } = await newTenant();
    const job = await submit(key, later());
    const token = await signEventToken(env.SIGNING_SECRET, { tenant, jobId: job.id, exp: Date.now() - 1_000, keyId: null });
    const res = await exports.default.fetch(`https://jobs.test/api/v1/jobs/${job.id}/events?token=${encodeURIComponent(token)}`, {
      headers: { accept: "text/event-stream" },
    });
    await expectError(res, 401, "unauthorized");
  });

  it("a token for job A used on job B is 404", async () => {
    const { key } = await newTenant();
    const jobA = await submit(key, later());
    const jobB = await submit(key, later());
    const { token } = await json(await api(`/jobs/${jobA.id}/events/token`, { key, method: "POST" }), 201);
    const res = await exports.default.fetch(`https://jobs.test/api/v1/jobs/${jobB.id}/events?token=${encodeURIComponent(token)}`, {
      headers: { accept: "text/event-stream" },
    });
    await expectError(res, 404, "not_found");
  });

  it("a token is not an API key", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    const { token } = await json(await api(`/jobs/${job.id}/events/token`, { key, method: "POST" }), 201);
    await expectError(await api(`/jobs/${job.id}`, { key: token }), 401, "unauthorized");
  });

  it("the events route without key or token is 401", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    await expectError(await call("GET", `/jobs/${job.id}/events`, null), 401, "unauthorized");
  });
});

describe("production configuration", () => {
  it("refuses the example secrets from .dev.vars.example when ENVIRONMENT=production", async () => {
    const app = createApp();
    const production = { ...env, ENVIRONMENT: "production", ADMIN_API_KEY: "dev-admin-key-change-me" };
    const res = await app.fetch(
      new Request("https://jobs.test/api/v1/jobs", { headers: { authorization: "Bearer dev-admin-key-change-me" } }),
      production,
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "not_configured" } });
    // The same key outside production is the local admin key.
    const local = await app.fetch(
      new Request("https://jobs.test/api/v1/jobs", { headers: { authorization: "Bearer dev-admin-key-change-me" } }),
      { ...production, ENVIRONMENT: "development" },
      createExecutionContext(),
    );
    expect(local.status).toBe(200);
  });

  it.each([
    ["ADMIN_API_KEY", "dev-admin-key-change-me"],
    ["SIGNING_SECRET", "dev-signing-secret-change-me"],
    ["SECRETS_KEY", "dev-secrets-key-change-me"],
    ["ADMIN_API_KEY_PREVIOUS", "dev-admin-key-change-me"],
    ["SIGNING_SECRET_PREVIOUS", "dev-signing-secret-change-me"],
  ])("refuses to serve in production with the example %s, and /health says why", async (name, example) => {
    const app = createApp();
    const call = (path: string, environment: string) =>
      app.fetch(
        new Request(`https://jobs.test/api/v1${path}`, { headers: { authorization: `Bearer ${name === "ADMIN_API_KEY" ? example : env.ADMIN_API_KEY}` } }),
        { ...env, [name]: example, ENVIRONMENT: environment },
        createExecutionContext(),
      );
    const refused = await call("/jobs", "production");
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: "not_configured", message: expect.stringContaining(name === "SECRETS_KEY" ? "SECRETS_KEY" : "example secrets") } });
    const health = await call("/health", "production");
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "not_configured", configuration: { ok: false, problem: expect.stringContaining("example") } });

    expect((await call("/jobs", "development")).status).toBe(200);
    const healthy = await call("/health", "development");
    expect(await healthy.json()).toMatchObject({ configuration: { ok: true } });
  });
});

describe("rotating the secrets without locking tenants out", () => {
  const app = createApp();
  const call = (path: string, key: string, vars: Record<string, string>, init: RequestInit = {}) =>
    app.fetch(
      new Request(`https://jobs.test/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" } }),
      { ...env, ...vars },
      createExecutionContext(),
    );

  it("keeps keys signed with SIGNING_SECRET_PREVIOUS working while it is set, and signs new ones with SIGNING_SECRET", async () => {
    const { key, tenant } = await newTenant();
    const rotating = { SIGNING_SECRET: "the-new-signing-secret", SIGNING_SECRET_PREVIOUS: env.SIGNING_SECRET };
    const rotated = { SIGNING_SECRET: "the-new-signing-secret" };
    expect((await call("/jobs", key, rotating)).status).toBe(200);
    expect((await call("/jobs", key, rotated)).status).toBe(401);

    const issued = await call("/keys", ADMIN_KEY, rotating, { method: "POST", body: JSON.stringify({ name: "after rotation", tenant, scopes: ["jobs:read"] }) });
    const { key: fresh } = await json<{ key: string }>(issued, 201);
    expect((await call("/jobs", fresh, rotated)).status).toBe(200);
    // Signed with the new secret only: the deployment before the rotation does not know it.
    expect((await call("/jobs", fresh, {})).status).toBe(401);
  });

  it("accepts watch tokens signed with the previous secret during the rotation", async () => {
    const claims = { tenant: "t", jobId: "job_1", exp: Date.now() + 60_000, keyId: "key_1" };
    const token = await signEventToken("old-secret", claims);
    expect(await verifyEventToken(["new-secret", "old-secret"], token)).toEqual(claims);
    expect(await verifyEventToken(["new-secret"], token)).toBeUndefined();
  });

  it("accepts ADMIN_API_KEY_PREVIOUS as the admin key until it is removed", async () => {
    const rotating = { ADMIN_API_KEY: "the-new-admin-key", ADMIN_API_KEY_PREVIOUS: ADMIN_KEY };
    expect((await call("/keys", ADMIN_KEY, rotating)).status).toBe(200);
    expect((await call("/keys", "the-new-admin-key", rotating)).status).toBe(200);
    expect((await call("/keys", ADMIN_KEY, { ADMIN_API_KEY: "the-new-admin-key" })).status).toBe(401);
  });
});
