import { describe, expect, it } from "vitest";
import type { Job } from "../../src/schemas/job";
import { detailPaths, expectError, later, listJobs, sleep } from "./api-helpers";
import { ADMIN_KEY, api, json, newTenant, submit, waitForStatus } from "./helpers";

/**
 * Flow control: tenants' rate-limit rules (reject at submit, throttle at start), debounced jobs
 * and the refresh endpoint, which combines them with a per-resource concurrency key.
 */

interface Rule {
  action: string;
  limit: number;
  windowMs: number;
  mode: "reject" | "throttle";
  source: "default" | "tenant";
}

/** A tenant with an `admin` key (for the rule endpoints) and a `jobs:read`+`jobs:write` key. */
async function tenantWithAdmin() {
  const admin = await newTenant(["admin"]);
  const created = await json(
    await api("/keys", { key: ADMIN_KEY, body: { name: "writer", tenant: admin.tenant, scopes: ["jobs:read", "jobs:write"] } }),
    201,
  );
  return { tenant: admin.tenant, admin: admin.key, key: created.key as string };
}

async function setRule(adminKey: string, action: string, rule: Record<string, unknown>): Promise<Rule> {
  return json<Rule>(await api(`/rate-limits/${action}`, { method: "PUT", key: adminKey, body: rule }), 200);
}

async function listRules(key: string): Promise<Rule[]> {
  return (await json<{ items: Rule[] }>(await api("/rate-limits", { key }), 200)).items;
}

/** Every job of the tenant (fewer than 200 in these tests). */
async function allJobs(key: string, query = ""): Promise<Job[]> {
  const page = await listJobs(key, `limit=200${query ? `&${query}` : ""}`);
  expect(page.nextCursor).toBeNull();
  return page.items;
}

/** Asserts a 429 from a rate limit: the JSON envelope and the IETF RateLimit header fields. */
async function expectRateLimited(res: Response, limit: number, windowSeconds: number, remaining = 0) {
  const text = await res.text();
  expect(res.status, text).toBe(429);
  expect(res.headers.get("content-type") ?? "").toContain("application/json");
  const body = JSON.parse(text) as { error: { code: string; message: string; details?: any; requestId: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  const error = body.error;
  expect(error.code).toBe("rate_limited");
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.requestId).toEqual(expect.any(String));
  const retryAfter = res.headers.get("retry-after");
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get("ratelimit-limit")).toBe(String(limit));
  expect(res.headers.get("ratelimit-remaining")).toBe(String(remaining));
  const reset = res.headers.get("ratelimit-reset");
  expect(reset).toMatch(/^\d+$/);
  expect(Number(reset)).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get("ratelimit-policy")).toBe(`${limit};w=${windowSeconds}`);
  return error;
}

const refresh = (key: string, resource: string, body: Record<string, unknown>) =>
  api(`/refresh/${encodeURIComponent(resource)}`, { key, body });

const quick = { type: "simulate", input: { steps: 1, stepMs: 0 } };

describe("rate-limit rules API", () => {
  it("lists the refresh default, which a tenant rule does not replace for other actions", async () => {
    const { key } = await newTenant();
    const rules = await listRules(key);
    expect(rules).toContainEqual({ action: "refresh", limit: 10, windowMs: 60_000, mode: "reject", source: "default" });
    expect(rules.filter((r) => r.source === "tenant")).toEqual([]);
    // One entry per action at most.
    expect(new Set(rules.map((r) => r.action)).size).toBe(rules.length);
  });

  it("PUT sets a tenant rule (admin only), GET lists it, DELETE removes it once", async () => {
    const { admin, key } = await tenantWithAdmin();
    const rule = await setRule(admin, "simulate", { limit: 7, windowMs: 30_000, mode: "throttle" });
    expect(rule).toEqual({ action: "simulate", limit: 7, windowMs: 30_000, mode: "throttle", source: "tenant" });
    expect(await listRules(key)).toContainEqual(rule);

    // Mode defaults to reject; a second PUT replaces the rule.
    const replaced = await setRule(admin, "simulate", { limit: 3, windowMs: 5_000 });
    expect(replaced).toEqual({ action: "simulate", limit: 3, windowMs: 5_000, mode: "reject", source: "tenant" });
    const listed = await listRules(key);
    expect(listed.filter((r) => r.action === "simulate")).toEqual([replaced]);

    // The refresh default can be overridden too, and is then listed as the tenant's.
    await setRule(admin, "refresh", { limit: 2, windowMs: 60_000 });
    expect(await listRules(key)).toContainEqual({ action: "refresh", limit: 2, windowMs: 60_000, mode: "reject", source: "tenant" });

    const deleted = await api("/rate-limits/simulate", { method: "DELETE", key: admin });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    expect((await listRules(key)).filter((r) => r.action === "simulate")).toEqual([]);
    await expectError(await api("/rate-limits/simulate", { method: "DELETE", key: admin }), 404, "not_found");

    // Deleting the tenant's refresh rule brings the default back.
    expect((await api("/rate-limits/refresh", { method: "DELETE", key: admin })).status).toBe(204);
    expect(await listRules(key)).toContainEqual({ action: "refresh", limit: 10, windowMs: 60_000, mode: "reject", source: "default" });
    await expectError(await api("/rate-limits/refresh", { method: "DELETE", key: admin }), 404, "not_found");
  });

  it("refuses PUT and DELETE to a key without the admin scope (403) and nothing changes", async () => {
    const { admin, key } = await tenantWithAdmin();
    await expectError(await api("/rate-limits/simulate", { method: "PUT", key, body: { limit: 1, windowMs: 60_000 } }), 403);
    expect((await listRules(key)).filter((r) => r.source === "tenant")).toEqual([]);
    await setRule(admin, "simulate", { limit: 1, windowMs: 60_000 });
    await expectError(await api("/rate-limits/simulate", { method: "DELETE", key }), 403);
    expect((await listRules(key)).filter((r) => r.action === "simulate")).toHaveLength(1);
    // Without any key: 401.
    await expectError(await api("/rate-limits", { key: null }), 401);
  });

  it("answers 422 for an unknown action and 400 for a bad body, as JSON errors", async () => {
    const { admin, key } = await tenantWithAdmin();
    await expectError(
      await api("/rate-limits/no-such-type", { method: "PUT", key: admin, body: { limit: 1, windowMs: 60_000 } }),
      422,
      "unknown_action",
    );
    const bad = [
      { limit: 0, windowMs: 60_000 },
      { limit: 1, windowMs: 10 },
      { limit: 1, windowMs: 60_000, burst: 3 },
      { limit: 1.5, windowMs: 60_000 },
      { limit: 1, windowMs: 60_000, mode: "queue" },
      { windowMs: 60_000 },
    ];
    for (const body of bad) {
      const error = await expectError(await api("/rate-limits/simulate", { method: "PUT", key: admin, body }), 400, "validation_failed");
      expect(error.details?.length, JSON.stringify(body)).toBeGreaterThan(0);
    }
    expect((await listRules(key)).filter((r) => r.source === "tenant")).toEqual([]);
  });

  it("a tenant's rule is invisible to, and does not limit, another tenant", async () => {
    const a = await tenantWithAdmin();
    const b = await tenantWithAdmin();
    await setRule(a.admin, "simulate", { limit: 1, windowMs: 60_000 });
    await setRule(a.admin, "refresh", { limit: 1, windowMs: 60_000 });

    const bRules = await listRules(b.key);
    expect(bRules.filter((r) => r.action === "simulate")).toEqual([]);
    expect(bRules).toContainEqual({ action: "refresh", limit: 10, windowMs: 60_000, mode: "reject", source: "default" });
    // B cannot delete A's rule (it has none of its own).
    await expectError(await api("/rate-limits/simulate", { method: "DELETE", key: b.admin }), 404);

    for (let i = 0; i < 3; i++) await submit(b.key, later());
    expect(await allJobs(b.key)).toHaveLength(3);
    // A's own allowance is untouched by B's submissions: one job, then 429.
    await submit(a.key, later());
    await expectRateLimited(await api("/jobs", { key: a.key, body: later() }), 1, 60);
    expect((await listRules(a.key)).filter((r) => r.action === "simulate")).toHaveLength(1);
  });
});

describe("reject mode", () => {
  it("admits exactly the limit among concurrent submissions; the rest get 429 with RateLimit headers", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 5, windowMs: 60_000 });
    const responses = await Promise.all(Array.from({ length: 20 }, () => api("/jobs", { key, body: later() })));
    const accepted = responses.filter((r) => r.status === 202);
    const rejected = responses.filter((r) => r.status === 429);
    expect(responses.map((r) => r.status).filter((s) => s !== 202 && s !== 429)).toEqual([]);
    expect(accepted).toHaveLength(5);
    expect(rejected).toHaveLength(15);

    for (const res of rejected) {
      const error = await expectRateLimited(res, 5, 60);
      expect(error.details).toMatchObject({ action: "simulate", key: "", limit: 5, windowMs: 60_000 });
    }
    const remaining = accepted.map((r) => r.headers.get("ratelimit-remaining"));
    expect(remaining.every((v) => v !== null && /^\d+$/.test(v))).toBe(true);
    // Each admission was counted in turn: the answers saw 4, 3, 2, 1 and 0 left.
    expect(remaining.map(Number).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const res of accepted) {
      expect(res.headers.get("ratelimit-limit")).toBe("5");
      expect(res.headers.get("ratelimit-policy")).toBe("5;w=60");
      expect(res.headers.get("retry-after")).toBeNull();
    }
    const acceptedIds = await Promise.all(accepted.map(async (r) => (await r.json<Job>()).id));

    const jobs = await allJobs(key);
    expect(jobs.map((j) => j.id).sort()).toEqual(acceptedIds.sort());
  });

  it("admits whole batches only, exactly up to the limit, under concurrency", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 10, windowMs: 60_000 });
    const batch = () => ({ jobs: [later(), later(), later()] });
    const responses = await Promise.all(Array.from({ length: 8 }, () => api("/jobs/batch", { key, body: batch() })));
    const accepted = responses.filter((r) => r.status === 202);
    const rejected = responses.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(3);
    expect(rejected).toHaveLength(5);
    // Each refused batch found 9 of 10 used: one more job would still fit.
    for (const res of rejected) await expectRateLimited(res, 10, 60, 1);
    const bodies = await Promise.all(accepted.map((r) => r.json<{ items: Job[]; created: number; existing: number }>()));
    for (const body of bodies) expect(body).toMatchObject({ created: 3, existing: 0 });
    expect(accepted.map((r) => r.headers.get("ratelimit-remaining")).sort()).toEqual(["1", "4", "7"]);

    const jobs = await allJobs(key);
    expect(jobs).toHaveLength(9);
    expect(jobs.map((j) => j.id).sort()).toEqual(bodies.flatMap((b) => b.items.map((j) => j.id)).sort());

    // One left: a batch of two does not fit and writes nothing; a batch of one does.
    await expectRateLimited(await api("/jobs/batch", { key, body: { jobs: [later(), later()] } }), 10, 60, 1);
    expect(await allJobs(key)).toHaveLength(9);
    const last = await api("/jobs/batch", { key, body: { jobs: [later()] } });
    expect(last.status).toBe(202);
    expect(last.headers.get("ratelimit-remaining")).toBe("0");
    expect(await allJobs(key)).toHaveLength(10);
  });

  it("refuses a batch bigger than the limit and writes nothing", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 10, windowMs: 60_000 });
    const res = await api("/jobs/batch", { key, body: { jobs: Array.from({ length: 11 }, (_, i) => later({ tags: [`n${i}`] })) } });
    const error = await expectRateLimited(res, 10, 60, 10);
    expect(error.message).toContain("can never fit");
    expect(res.headers.get("retry-after")).toBe("60");
    expect(await allJobs(key)).toEqual([]);
    // Nothing was counted: the whole allowance is still there.
    const fits = await api("/jobs/batch", { key, body: { jobs: Array.from({ length: 10 }, () => later()) } });
    expect(fits.status).toBe(202);
    expect(fits.headers.get("ratelimit-remaining")).toBe("0");
    expect(await allJobs(key)).toHaveLength(10);
  });

  it("a batch mixing limited and unlimited types is refused whole when the limited part does not fit", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 1, windowMs: 60_000 });
    const res = await api("/jobs/batch", {
      key,
      body: { jobs: [later(), later(), { type: "http.request", input: { url: "https://example.com/x" }, delayMs: 3_600_000 }] },
    });
    await expectRateLimited(res, 1, 60, 1);
    expect(await allJobs(key)).toEqual([]);
  });

  it("keeps a separate allowance per rateLimitKey", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 2, windowMs: 60_000 });
    for (const user of ["u1", "u2"]) {
      for (let i = 0; i < 2; i++) {
        const res = await api("/jobs", { key, body: later({ rateLimitKey: user }) });
        expect(res.status, await res.clone().text()).toBe(202);
        expect(res.headers.get("ratelimit-remaining")).toBe(String(1 - i));
      }
    }
    for (const user of ["u1", "u2"]) {
      const error = await expectRateLimited(await api("/jobs", { key, body: later({ rateLimitKey: user }) }), 2, 60);
      expect(error.details).toMatchObject({ action: "simulate", key: user });
      expect(error.message).toContain(user);
    }
    // Submissions without a key share the tenant-wide allowance, separate from the users'.
    await submit(key, later());
    await submit(key, later());
    await expectRateLimited(await api("/jobs", { key, body: later() }), 2, 60);
    expect(await allJobs(key)).toHaveLength(6);
  });

  it("a batch refused by one key's rule takes back what it logged under the others", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 1, windowMs: 60_000 });
    const pair = await json(await api("/jobs/batch", { key, body: { jobs: [later({ rateLimitKey: "u1" }), later({ rateLimitKey: "u2" })] } }), 202);
    expect(pair).toMatchObject({ created: 2 });
    // u3 fits but u1 does not: nothing is written...
    const error = await expectRateLimited(
      await api("/jobs/batch", { key, body: { jobs: [later({ rateLimitKey: "u3" }), later({ rateLimitKey: "u1" })] } }),
      1,
      60,
    );
    expect(error.details).toMatchObject({ key: "u1" });
    expect(await allJobs(key)).toHaveLength(2);
    // ...and u3's allowance was not used by the refused batch.
    const u3 = await api("/jobs", { key, body: later({ rateLimitKey: "u3" }) });
    expect(u3.status, await u3.clone().text()).toBe(202);
    expect(u3.headers.get("ratelimit-remaining")).toBe("0");
    expect(await allJobs(key)).toHaveLength(3);
  });

  it("idempotent repeats do not use up the allowance", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 2, windowMs: 60_000 });
    const first = await submit(key, later({ idempotencyKey: "same" }));
    for (let i = 0; i < 4; i++) {
      const repeat = await api("/jobs", { key, body: later({ idempotencyKey: "same" }) });
      expect(repeat.status, await repeat.clone().text()).toBe(200);
      expect((await repeat.json<Job>()).id).toBe(first.id);
    }
    // Repeats in a batch are not counted either.
    const batch = await json(await api("/jobs/batch", { key, body: { jobs: [later({ idempotencyKey: "same" })] } }), 202);
    expect(batch).toMatchObject({ created: 0, existing: 1 });

    // One of two used: a new job still fits, then the limit is reached.
    const second = await api("/jobs", { key, body: later() });
    expect(second.status, await second.clone().text()).toBe(202);
    expect(second.headers.get("ratelimit-remaining")).toBe("0");
    await expectRateLimited(await api("/jobs", { key, body: later() }), 2, 60);
    expect(await allJobs(key)).toHaveLength(2);
  });

  it("once the allowance is used up, repeats and debounce merges still get their job, new jobs 429", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 2, windowMs: 60_000 });
    const first = await submit(key, later({ idempotencyKey: "k" }));
    const debounced = (n: number) => ({ ...quick, input: { steps: n, stepMs: 0 }, debounce: { key: "full", periodMs: 3_600_000 } });
    const queued = await submit(key, debounced(1));
    await expectRateLimited(await api("/jobs", { key, body: later() }), 2, 60);
    const again = await api("/jobs", { key, body: later({ idempotencyKey: "k" }) });
    expect(again.status, await again.clone().text()).toBe(200);
    expect((await again.json<Job>()).id).toBe(first.id);
    const merged = await api("/jobs", { key, body: debounced(7) });
    expect(merged.status, await merged.clone().text()).toBe(200);
    const job = await merged.json<Job>();
    expect(job.id).toBe(queued.id);
    expect(job.input).toMatchObject({ steps: 7 });
    expect(await allJobs(key)).toHaveLength(2);
  });

  it("debounced submissions merged into a queued job do not use up the allowance", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 2, windowMs: 60_000 });
    const debounced = (n: number) => ({ ...quick, input: { steps: n, stepMs: 0 }, debounce: { key: "rl", periodMs: 3_600_000 } });
    const first = await submit(key, debounced(1));
    for (let n = 2; n <= 5; n++) {
      const res = await api("/jobs", { key, body: debounced(n) });
      expect(res.status, await res.clone().text()).toBe(200);
      expect((await res.json<Job>()).id).toBe(first.id);
    }
    await submit(key, later());
    await expectRateLimited(await api("/jobs", { key, body: later() }), 2, 60);
  });
});

describe("throttle mode", () => {
  it("accepts every submission and starts at most `limit` jobs per window", { timeout: 60_000 }, async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "simulate", { limit: 2, windowMs: 2_000, mode: "throttle" });
    const res = await api("/jobs/batch", { key, body: { jobs: Array.from({ length: 6 }, () => quick) } });
    const batch = await json<{ items: Job[]; created: number }>(res, 202);
    expect(batch.created).toBe(6);
    expect(res.headers.get("retry-after")).toBeNull();
    // A single submission is accepted too, even past the limit: throttling happens at start.
    const extra = await submit(key, quick);
    const ids = [...batch.items.map((j) => j.id), extra.id];

    const done = await Promise.all(ids.map((id) => waitForStatus(key, id, ["completed", "failed", "cancelled"], 45_000)));
    expect(done.map((j) => j.status)).toEqual(ids.map(() => "completed"));

    const starts: number[] = [];
    for (const id of ids) {
      const { items } = await json<{ items: { attempt: number; startedAt: string }[] }>(await api(`/jobs/${id}/attempts`, { key }), 200);
      expect(items).toHaveLength(1);
      starts.push(Date.parse(items[0]!.startedAt));
    }
    starts.sort((a, b) => a - b);
    for (let i = 0; i + 2 < starts.length; i++) {
      expect(starts[i + 2]! - starts[i]!, `starts ${JSON.stringify(starts)}`).toBeGreaterThanOrEqual(2_000 - 5);
    }
  });

  it("a throttle rule of one tenant does not hold back another tenant's jobs", { timeout: 60_000 }, async () => {
    const a = await tenantWithAdmin();
    const b = await newTenant();
    await setRule(a.admin, "simulate", { limit: 1, windowMs: 60_000, mode: "throttle" });
    const first = await submit(a.key, quick);
    await waitForStatus(a.key, first.id, ["completed"]);
    // A's allowance for the minute is used; B's jobs start anyway.
    const bJobs = await Promise.all([submit(b.key, quick), submit(b.key, quick), submit(b.key, quick)]);
    for (const job of bJobs) await waitForStatus(b.key, job.id, ["completed"]);
    // ...while A's next one is held back.
    const held = await submit(a.key, quick);
    await sleep(1_000);
    expect((await json<Job>(await api(`/jobs/${held.id}`, { key: a.key }), 200)).status).toBe("queued");
  });
});

describe("debounce", () => {
  const debounced = (steps: number, extra: Record<string, unknown> = {}) => ({
    type: "simulate",
    input: { steps, stepMs: 0 },
    debounce: { key: "d1", periodMs: 1_500, ...extra },
  });

  it("merges a burst into one queued job with the last input, which runs once after the period", { timeout: 60_000 }, async () => {
    const { key } = await newTenant();
    const firstRes = await api("/jobs", { key, body: debounced(1) });
    const first = await json<Job>(firstRes, 202);
    expect(first.debounceKey).toBe("d1");
    expect(first.status).toBe("queued");
    expect(Date.parse(first.runAt) - Date.parse(first.createdAt)).toBe(1_500);

    let last = first;
    for (let steps = 2; steps <= 5; steps++) {
      const res = await api("/jobs", { key, body: debounced(steps) });
      last = await json<Job>(res, 200);
      expect(last.id).toBe(first.id);
      expect(res.headers.get("location")).toBe(`/api/v1/jobs/${first.id}`);
      expect(last.input).toMatchObject({ steps, stepMs: 0 });
      expect(Date.parse(last.runAt)).toBeGreaterThanOrEqual(Date.parse(first.runAt));
    }
    expect(last.debounceKey).toBe("d1");
    const stored = await json<Job>(await api(`/jobs/${first.id}`, { key }), 200);
    expect(stored.input).toMatchObject({ steps: 5, stepMs: 0 });
    expect(stored.runAt).toBe(last.runAt);
    expect((await allJobs(key)).map((j) => j.id)).toEqual([first.id]);

    const done = await waitForStatus(key, first.id, ["completed", "failed"], 30_000);
    expect(done.status).toBe("completed");
    expect(done.attempts).toBe(1);
    expect(done.result).toMatchObject({ steps: 5, attempt: 1 });
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(last.runAt));
    const { items } = await json<{ items: unknown[] }>(await api(`/jobs/${first.id}/attempts`, { key }), 200);
    expect(items).toHaveLength(1);

    // The job has run: the next submission with the key is a new job.
    const next = await json<Job>(await api("/jobs", { key, body: debounced(7) }), 202);
    expect(next.id).not.toBe(first.id);
    expect(next.debounceKey).toBe("d1");
    expect(next.input).toMatchObject({ steps: 7 });
    expect(await allJobs(key)).toHaveLength(2);
    await waitForStatus(key, next.id, ["completed"], 30_000);
    expect((await getAttempts(key, first.id))).toHaveLength(1);
  });

  it("keeps separate keys and tenants apart", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const long = (k: string) => ({ ...quick, debounce: { key: k, periodMs: 3_600_000 } });
    const a1 = await submit(a.key, long("x"));
    const a2 = await submit(a.key, long("y"));
    const b1 = await submit(b.key, long("x"));
    expect(new Set([a1.id, a2.id, b1.id]).size).toBe(3);
    expect((await json<Job>(await api("/jobs", { key: a.key, body: long("x") }), 200)).id).toBe(a1.id);
    expect((await json<Job>(await api("/jobs", { key: b.key, body: long("x") }), 200)).id).toBe(b1.id);
    expect(await allJobs(a.key)).toHaveLength(2);
    expect(await allJobs(b.key)).toHaveLength(1);
  });

  it("pushes the start back by each submission, but never past maxWaitMs after the first", async () => {
    const { key } = await newTenant();
    // Without maxWaitMs: each submission moves the start to a period after itself.
    const pushed = (extra: Record<string, unknown> = {}) => ({ ...quick, debounce: { key: "p", periodMs: 60_000, ...extra } });
    const p0 = await submit(key, pushed());
    let pLast = p0;
    for (let i = 0; i < 3; i++) {
      await sleep(20);
      pLast = await json<Job>(await api("/jobs", { key, body: pushed() }), 200);
    }
    expect(pLast.id).toBe(p0.id);
    expect(Date.parse(pLast.runAt)).toBeGreaterThan(Date.parse(p0.runAt));

    // With maxWaitMs = periodMs: later submissions cannot move the start at all.
    const capped = { ...quick, debounce: { key: "c", periodMs: 60_000, maxWaitMs: 60_000 } };
    const c0 = await submit(key, capped);
    const deadline = Date.parse(c0.createdAt) + 60_000;
    expect(Date.parse(c0.runAt)).toBe(deadline);
    for (let i = 0; i < 3; i++) {
      await sleep(20);
      const again = await json<Job>(await api("/jobs", { key, body: capped }), 200);
      expect(again.id).toBe(c0.id);
      expect(Date.parse(again.runAt)).toBe(deadline);
    }

    // With maxWaitMs between: pushed back, but no further than the first submission + maxWaitMs.
    const between = { ...quick, debounce: { key: "b", periodMs: 60_000, maxWaitMs: 60_030 } };
    const b0 = await submit(key, between);
    const cap = Date.parse(b0.createdAt) + 60_030;
    let bLast = b0;
    for (let i = 0; i < 4; i++) {
      await sleep(20);
      bLast = await json<Job>(await api("/jobs", { key, body: between }), 200);
      expect(Date.parse(bLast.runAt)).toBeLessThanOrEqual(cap);
    }
    expect(Date.parse(bLast.runAt)).toBe(cap);
  });

  it("rejects debounce with delayMs or runAt, and maxWaitMs below periodMs (422)", async () => {
    const { key } = await newTenant();
    const withDelay = await expectError(await api("/jobs", { key, body: { ...debounced(1), delayMs: 1_000 } }), 422, "invalid_job");
    expect(detailPaths(withDelay)).toContain("debounce");
    const withRunAt = await expectError(
      await api("/jobs", { key, body: { ...debounced(1), runAt: new Date(Date.now() + 60_000).toISOString() } }),
      422,
      "invalid_job",
    );
    expect(detailPaths(withRunAt)).toContain("debounce");
    const shortWait = await expectError(
      await api("/jobs", { key, body: { ...quick, debounce: { key: "d1", periodMs: 60_000, maxWaitMs: 1_000 } } }),
      422,
      "invalid_job",
    );
    expect(detailPaths(shortWait)).toContain("debounce.maxWaitMs");
    // In a batch the path names the item.
    const inBatch = await expectError(
      await api("/jobs/batch", { key, body: { jobs: [later(), { ...debounced(1), delayMs: 5 }] } }),
      422,
      "invalid_job",
    );
    expect(detailPaths(inBatch)).toContain("jobs.1.debounce");
    expect(await allJobs(key)).toEqual([]);
  });
});

async function getAttempts(key: string, id: string) {
  return (await json<{ items: unknown[] }>(await api(`/jobs/${id}/attempts`, { key }), 200)).items;
}

describe("POST /refresh/{resource}", () => {
  it("submits a high-priority job, one at a time per resource, tagged and debounced by the resource", { timeout: 60_000 }, async () => {
    const { key } = await newTenant();
    const res = await refresh(key, "project-42", quick);
    const job = await json<Job>(res, 202);
    expect(res.headers.get("location")).toBe(`/api/v1/jobs/${job.id}`);
    expect(job).toMatchObject({
      type: "simulate",
      status: "queued",
      priority: "high",
      concurrencyKey: "refresh:project-42",
      tags: ["refresh:project-42"],
      debounceKey: "refresh:project-42",
    });
    expect(Date.parse(job.runAt) - Date.parse(job.createdAt)).toBe(1_000);
    // Counted against the refresh rule (10 per minute by default), per resource.
    expect(res.headers.get("ratelimit-limit")).toBe("10");
    expect(res.headers.get("ratelimit-remaining")).toBe("9");
    const done = await waitForStatus(key, job.id, ["completed", "failed"], 30_000);
    expect(done.status).toBe("completed");
  });

  it("runs a burst of refreshes once, with the last input", { timeout: 60_000 }, async () => {
    const { key } = await newTenant();
    const first = await json<Job>(await refresh(key, "project-42", { ...quick, input: { steps: 1, stepMs: 0 }, debounceMs: 1_000 }), 202);
    for (let steps = 2; steps <= 5; steps++) {
      const res = await refresh(key, "project-42", { type: "simulate", input: { steps, stepMs: 0 }, debounceMs: 1_000 });
      const again = await json<Job>(res, 200);
      expect(again.id).toBe(first.id);
      expect(again.input).toMatchObject({ steps });
    }
    // Another resource is a separate job.
    const other = await json<Job>(await refresh(key, "project-7", quick), 202);
    expect(other.id).not.toBe(first.id);
    expect(other.concurrencyKey).toBe("refresh:project-7");

    const done = await waitForStatus(key, first.id, ["completed", "failed"], 30_000);
    expect(done.status).toBe("completed");
    expect(done.attempts).toBe(1);
    expect(done.result).toMatchObject({ steps: 5 });
    expect(await getAttempts(key, first.id)).toHaveLength(1);
    const refreshJobs = await allJobs(key, "tag=refresh:project-42");
    expect(refreshJobs.map((j) => j.id)).toEqual([first.id]);
    await waitForStatus(key, other.id, ["completed"], 30_000);
  });

  it("lists a resource's refresh jobs newest first, paged, per resource and per tenant", async () => {
    const { key } = await newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await refresh(key, "project-42", { type: "simulate", input: { steps: 1, stepMs: 0 }, debounceMs: 0, maxAttempts: 1 });
      ids.push((await json<Job>(res, 202)).id);
    }
    const other = await json<Job>(await refresh(key, "project-43", { ...quick, debounceMs: 0 }), 202);

    const page = await json<{ items: Job[]; nextCursor: string | null }>(await api("/refresh/project-42", { key }), 200);
    expect(Object.keys(page).sort()).toEqual(["items", "nextCursor"]);
    expect(page.items.map((j) => j.id)).toEqual([...ids].reverse());
    expect(page.nextCursor).toBeNull();
    for (const job of page.items) expect(job.tags).toEqual(["refresh:project-42"]);

    const first = await json<{ items: Job[]; nextCursor: string | null }>(await api("/refresh/project-42?limit=2", { key }), 200);
    expect(first.items.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await json<{ items: Job[]; nextCursor: string | null }>(
      await api(`/refresh/project-42?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`, { key }),
      200,
    );
    expect(second.items.map((j) => j.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();

    const otherPage = await json<{ items: Job[] }>(await api("/refresh/project-43", { key }), 200);
    expect(otherPage.items.map((j) => j.id)).toEqual([other.id]);

    const stranger = await newTenant();
    expect(await json(await api("/refresh/project-42", { key: stranger.key }), 200)).toEqual({ items: [], nextCursor: null });
    // And the stranger's refresh of the same resource is its own.
    const theirs = await json<Job>(await refresh(stranger.key, "project-42", quick), 202);
    expect(ids).not.toContain(theirs.id);
    const mine = await json<{ items: Job[] }>(await api("/refresh/project-42", { key }), 200);
    expect(mine.items.map((j) => j.id)).toEqual([...ids].reverse());
  });

  it("is rate limited per resource by the tenant's refresh rule", async () => {
    const { admin, key } = await tenantWithAdmin();
    await setRule(admin, "refresh", { limit: 2, windowMs: 60_000 });
    const body = { type: "simulate", input: { steps: 1, stepMs: 0 }, debounceMs: 0 };
    const r1 = await json<Job>(await refresh(key, "project-42", body), 202);
    const r2 = await json<Job>(await refresh(key, "project-42", body), 202);
    expect(r1.id).not.toBe(r2.id);
    const error = await expectRateLimited(await refresh(key, "project-42", body), 2, 60);
    expect(error.details).toMatchObject({ action: "refresh", key: "project-42", limit: 2 });
    // Another resource has its own allowance.
    const elsewhere = await refresh(key, "project-43", body);
    expect(elsewhere.status, await elsewhere.clone().text()).toBe(202);
    expect(elsewhere.headers.get("ratelimit-remaining")).toBe("1");
    // The refresh rule does not limit plain submissions of the type.
    for (let i = 0; i < 3; i++) await submit(key, later());

    const history = await json<{ items: Job[] }>(await api("/refresh/project-42", { key }), 200);
    expect(history.items.map((j) => j.id)).toEqual([r2.id, r1.id]);
    // Another tenant is not limited by this tenant's refreshes.
    const stranger = await newTenant();
    for (let i = 0; i < 3; i++) {
      expect((await refresh(stranger.key, "project-42", body)).status).toBe(202);
    }
  });

  it("validates its body", async () => {
    const { key } = await newTenant();
    await expectError(await refresh(key, "project-42", { ...quick, priority: "low" }), 400, "validation_failed");
    await expectError(await refresh(key, "project-42", { ...quick, debounceMs: -1 }), 400, "validation_failed");
    await expectError(await refresh(key, "project-42", { type: "nope", input: {} }), 422, "invalid_job");
    const readOnly = await newTenant(["jobs:read"]);
    await expectError(await refresh(readOnly.key, "project-42", quick), 403);
    expect(await allJobs(key)).toEqual([]);
  });
});
