import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { database } from "../../src/db/client";
import { attempts, batchItems, deadLetters, jobLogs, jobSteps, jobs, secrets } from "../../src/db/schema";
import { type AttemptHooks, runAttempt } from "../../src/engine/run-attempt";
import { defineJob } from "../../src/jobs/define";
import type { Job } from "../../src/schemas/job";
import { openSecret, secretsKey } from "../../src/secrets/cipher";
import { expectError } from "./api-helpers";
import { jobRow, shardOfJob, watch } from "./engine-helpers";
import { ADMIN_KEY, api, env, envOf, getJob, json, newTenant, submit, waitForStatus } from "./helpers";

const ADMIN_SCOPES = ["admin"];

/** A tenant whose key may manage secrets and submit jobs (admin holds every scope). */
const newAdminTenant = () => newTenant(ADMIN_SCOPES);

async function putSecret(key: string, name: string, value: string, status = 201) {
  return json(await api(`/secrets/${name}`, { key, method: "PUT", body: { value } }), status);
}

/** A value no test writes anywhere else, so finding it anywhere means it leaked. */
const uniqueValue = (label: string) => `${label}-${crypto.randomUUID()}`;

/** A job that stays queued for an hour: submit-time behaviour only. */
const laterHttp = (input: Record<string, unknown>) => ({ type: "http.request", input: { url: "https://api.example.com/hook", ...input }, delayMs: 3_600_000 });

describe("PUT, GET and DELETE /secrets", () => {
  it("stores a secret and shows only its name and dates, never its value", async () => {
    const { key } = await newAdminTenant();
    const value = uniqueValue("stripe");
    const created = await putSecret(key, "stripe-token", value);
    expect(Object.keys(created).sort()).toEqual(["createdAt", "name", "updatedAt"]);
    expect(created).toMatchObject({ name: "stripe-token" });
    expect(created.createdAt).toBe(created.updatedAt);

    const replaced = await putSecret(key, "stripe-token", uniqueValue("stripe"), 200);
    expect(replaced.createdAt).toBe(created.createdAt);
    expect(Date.parse(replaced.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));

    const res = await api("/secrets", { key });
    const text = await res.clone().text();
    expect(text).not.toContain(value);
    const page = await json(res, 200);
    expect(page).toEqual({ items: [{ name: "stripe-token", createdAt: created.createdAt, updatedAt: replaced.updatedAt }], nextCursor: null });
  });

  it("pages the list by name like the other lists", async () => {
    const { key } = await newAdminTenant();
    for (const name of ["c", "a", "b"]) await putSecret(key, name, uniqueValue(name));
    const first = await json(await api("/secrets?limit=2", { key }), 200);
    expect(first.items.map((s: { name: string }) => s.name)).toEqual(["a", "b"]);
    expect(typeof first.nextCursor).toBe("string");
    const second = await json(await api(`/secrets?limit=2&cursor=${first.nextCursor}`, { key }), 200);
    expect(second).toMatchObject({ items: [{ name: "c" }], nextCursor: null });
    await expectError(await api("/secrets?cursor=not-a-cursor", { key }), 400, "invalid_cursor");
  });

  it("deletes a secret; a second delete is 404", async () => {
    const { key } = await newAdminTenant();
    await putSecret(key, "old", uniqueValue("old"));
    const res = await api("/secrets/old", { key, method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await json(await api("/secrets", { key }), 200)).items).toEqual([]);
    const error = await expectError(await api("/secrets/old", { key, method: "DELETE" }), 404, "not_found");
    expect(error.message).toBe('secret "old" not found');
  });

  it("needs the admin scope for every secrets route", async () => {
    const { key } = await newTenant(["jobs:read", "jobs:write", "reports:read", "reports:write"]);
    await expectError(await api("/secrets/x", { key, method: "PUT", body: { value: "v" } }), 403, "forbidden");
    await expectError(await api("/secrets", { key }), 403, "forbidden");
    await expectError(await api("/secrets/x", { key, method: "DELETE" }), 403, "forbidden");
    await expectError(await api("/secrets", { key: null }), 401, "unauthorized");
  });

  it.each([
    ["an empty value", "ok-name", { value: "" }],
    ["a value over 8 KiB", "ok-name", { value: "v".repeat(8 * 1024 + 1) }],
    ["a value that is not a string", "ok-name", { value: 42 }],
    ["an unknown field", "ok-name", { value: "v", note: "x" }],
    ["a name with a slash-free but invalid character", "bad name!", { value: "v" }],
    ["a name starting with a dot", ".hidden", { value: "v" }],
  ])("refuses %s with 400", async (_, name, body) => {
    const { key } = await newAdminTenant();
    await expectError(await api(`/secrets/${encodeURIComponent(name)}`, { key, method: "PUT", body }), 400);
  });

  it("keeps tenants apart: another tenant neither sees, deletes nor uses a secret", async () => {
    const owner = await newAdminTenant();
    const other = await newAdminTenant();
    await putSecret(owner.key, "shared-name", uniqueValue("owner"));
    expect((await json(await api("/secrets", { key: other.key }), 200)).items).toEqual([]);
    await expectError(await api("/secrets/shared-name", { key: other.key, method: "DELETE" }), 404, "not_found");
    const refused = await expectError(
      await api("/jobs", { key: other.key, body: laterHttp({ headers: { authorization: { $secret: "shared-name" } } }) }),
      422,
      "unknown_secret",
    );
    expect(refused.details).toEqual([{ path: "input.headers.authorization", message: 'no secret named "shared-name"' }]);
    // The owner's secret is untouched by the other tenant's delete.
    expect((await json(await api("/secrets", { key: owner.key }), 200)).items.map((s: { name: string }) => s.name)).toEqual(["shared-name"]);
  });
});

describe("secrets at rest", () => {
  it("the D1 row holds an AES-GCM ciphertext with a fresh 12-byte IV, not the value", async () => {
    const { key, tenant } = await newAdminTenant();
    const value = uniqueValue("at-rest");
    const rowOf = () => database(envOf(tenant)).select().from(secrets).where(and(eq(secrets.tenant, tenant), eq(secrets.name, "db"))).get();
    await putSecret(key, "db", value);
    const first = (await rowOf())!;
    await putSecret(key, "db", value, 200);
    const second = (await rowOf())!;
    for (const row of [first, second]) {
      expect(JSON.stringify(row)).not.toContain(value);
      expect(atob(row.ciphertext)).not.toContain(value);
      expect(atob(row.iv)).toHaveLength(12);
      // The value, plus AES-GCM's 16-byte tag.
      expect(atob(row.ciphertext)).toHaveLength(new TextEncoder().encode(value).length + 16);
    }
    expect(second.iv).not.toBe(first.iv);
    expect(second.ciphertext).not.toBe(first.ciphertext);
  });
});

describe("submitting jobs that name secrets", () => {
  it("keeps the reference in the stored input and in every view of the job", async () => {
    const { key } = await newAdminTenant();
    const value = uniqueValue("token");
    await putSecret(key, "api-token", value);
    const job = await submit(key, laterHttp({ headers: { authorization: { $secret: "api-token" } }, body: { key: { $secret: "api-token" } } }));
    expect(job.input).toMatchObject({ headers: { authorization: { $secret: "api-token" } }, body: { key: { $secret: "api-token" } } });
    expect(JSON.stringify(await getJob(key, job.id))).not.toContain(value);
    expect((await getJob(key, job.id)).input).toEqual(job.input);
  });

  it("lets a reference stand for the URL", async () => {
    const { key } = await newAdminTenant();
    await putSecret(key, "hook-url", "https://hooks.example.com/T000/B000/XXXX");
    const job = await submit(key, laterHttp({ url: { $secret: "hook-url" } }));
    expect(job.input).toMatchObject({ url: { $secret: "hook-url" }, method: "GET" });
  });

  it("finds a reference however deep it sits (deeper than the call stack goes) and keeps it", async () => {
    const { key } = await newAdminTenant();
    await putSecret(key, "deep", uniqueValue("deep"));
    const depth = 50_000;
    const body = `{"type":"http.request","input":{"url":"https://api.example.com/","body":${"[".repeat(depth)}{"$secret":"deep"}${"]".repeat(depth)}},"delayMs":3600000}`;
    const job = await json<Job>(await api("/jobs", { key, body }), 202);
    let value: unknown = (await getJob(key, job.id)).input;
    for (let i = 0; i < depth; i++) value = (i === 0 ? (value as { body: unknown[] }).body : (value as unknown[]))[0];
    expect(value).toEqual({ $secret: "deep" });
  });

  it.each([
    ["a reference with another field", { $secret: "a", extra: 1 }, "input.headers.authorization"],
    ["a reference whose name is not a string", { $secret: 7 }, "input.headers.authorization"],
    ["a reference with a malformed name", { $secret: "no spaces" }, "input.headers.authorization.$secret"],
  ])("refuses %s with 422", async (_, reference, path) => {
    const { key } = await newAdminTenant();
    const error = await expectError(await api("/jobs", { key, body: laterHttp({ headers: { authorization: reference } }) }), 422, "invalid_job");
    expect(error.details!.map((d) => d.path)).toEqual([path]);
  });

  it("refuses a reference where the job type needs a particular string", async () => {
    const { key } = await newAdminTenant();
    await putSecret(key, "verb", "POST");
    const error = await expectError(await api("/jobs", { key, body: laterHttp({ method: { $secret: "verb" } }) }), 422, "invalid_job");
    expect(error.details).toMatchObject([{ path: "input.method" }]);
    expect(error.details![0]!.message).toContain("a secret reference cannot stand here");
  });

  it("refuses a reference to a secret the tenant does not have, in a batch submission too", async () => {
    const { key } = await newAdminTenant();
    await putSecret(key, "known", uniqueValue("known"));
    const jobs = [laterHttp({ headers: { "x-api-key": { $secret: "known" } } }), laterHttp({ headers: { "x-api-key": { $secret: "missing" } } })];
    const error = await expectError(await api("/jobs/batch", { key, body: { jobs } }), 422, "unknown_secret");
    expect(error.details).toEqual([{ path: "jobs.1.input.headers.x-api-key", message: 'no secret named "missing"' }]);
    expect((await json(await api("/jobs", { key }), 200)).items).toEqual([]);
  });
});

describe("finding 7: stored job views redact credentials given inline", () => {
  it("GET /jobs/{id}, the job list, dead letters and the event snapshot show authorization, cookie, proxy-authorization and x-api-key (any case) as [redacted]", async () => {
    const { key } = await newAdminTenant();
    const inline = uniqueValue("inline");
    const headers = { Authorization: `Bearer ${inline}`, COOKIE: inline, "proxy-authorization": inline, "X-Api-Key": inline, accept: "text/plain" };
    const redacted = { Authorization: "[redacted]", COOKIE: "[redacted]", "proxy-authorization": "[redacted]", "X-Api-Key": "[redacted]", accept: "text/plain" };
    // Nothing listens on 127.0.0.1:1 (let through by the tests' configuration): one attempt, then a dead letter.
    const job = await submit(key, { type: "http.request", input: { url: "http://127.0.0.1:1/", headers }, maxAttempts: 1 });
    expect(job.input).toMatchObject({ headers: redacted });
    await waitForStatus(key, job.id, ["failed"]);
    expect((await getJob(key, job.id)).input).toMatchObject({ headers: redacted });

    const views = {
      list: await json(await api("/jobs", { key }), 200),
      deadLetters: await json(await api("/dead-letters", { key }), 200),
      snapshot: (await (await watch(key, job.id)).waitFor((m) => m.type === "snapshot")).job,
    };
    expect(views.list.items[0].input.headers).toEqual(redacted);
    expect(views.deadLetters.items[0].job.input.headers).toEqual(redacted);
    expect(views.snapshot.input.headers).toEqual(redacted);
    expect(JSON.stringify(views)).not.toContain(inline);
    // The job ran with the real values: only the views hide them.
    expect(JSON.parse((await jobRow(job.id)).input).headers.Authorization).toBe(`Bearer ${inline}`);
  });

  it("redacts them inside a batch's items too, and leaves references and other headers alone", async () => {
    const { key } = await newAdminTenant();
    await putSecret(key, "token", uniqueValue("token"));
    const items = [{ url: "https://api.example.com/", headers: { authorization: "inline-value", "x-trace": "t-1" } }, { url: "https://api.example.com/", headers: { authorization: { $secret: "token" } } }];
    const job = await submit(key, { type: "batch", input: { itemType: "http.request", items }, delayMs: 3_600_000 });
    expect((await getJob(key, job.id)).input).toMatchObject({
      items: [{ headers: { authorization: "[redacted]", "x-trace": "t-1" } }, { headers: { authorization: { $secret: "token" } } }],
    });
  });
});

describe("runAttempt reveals secrets and takes them out of what the attempt writes", () => {
  let seen: string | undefined;
  const leaky = defineJob({
    type: "test.leaky",
    input: z.object({ token: z.string(), fail: z.boolean().default(false) }),
    async run(input, ctx) {
      seen = input.token;
      ctx.log(`using ${input.token}`);
      await ctx.progress(50, { stage: `stage ${input.token}`, message: `message ${input.token}` });
      const stepped = await ctx.step(`step ${input.token}`, async () => ({ echoed: input.token, [input.token]: true }));
      if (input.fail) throw new Error(`refused ${input.token}`);
      return { token: input.token, stepped };
    },
  });

  function recordingHooks(tenant: string) {
    const written: unknown[] = [];
    const hooks: AttemptHooks = {
      env: envOf(tenant),
      progress: async (percent, detail) => void written.push({ percent, detail }),
      log: (level, message) => void written.push({ level, message }),
      step: async (name, fn) => {
        const value = await fn();
        written.push({ step: name, value });
        return value;
      },
      sleep: async () => {},
    };
    return { hooks, written };
  }

  it("runs with the value; its logs, progress, step, result and error carry [secret:name] instead", async () => {
    const { key, tenant } = await newAdminTenant();
    const value = uniqueValue("leaky");
    await putSecret(key, "leaky", value);
    for (const fail of [false, true]) {
      seen = undefined;
      const { hooks, written } = recordingHooks(tenant);
      const input = JSON.stringify({ token: { $secret: "leaky" }, fail });
      const outcome = await runAttempt(leaky, { id: `job_leaky_${fail}`, tenant, attempt: 1, series: 0, input, timeoutMs: 10_000 }, hooks);
      expect(seen).toBe(value);
      const everything = JSON.stringify({ outcome, written });
      expect(everything).not.toContain(value);
      expect(everything).toContain("[secret:leaky]");
      expect(written).toContainEqual({ level: "info", message: "using [secret:leaky]" });
      expect(written).toContainEqual({ percent: 50, detail: { stage: "stage [secret:leaky]", message: "message [secret:leaky]" } });
      expect(written).toContainEqual({ step: "step [secret:leaky]", value: { echoed: "[secret:leaky]", "[secret:leaky]": true } });
      if (fail) expect(outcome).toMatchObject({ ok: false, error: { message: "refused [secret:leaky]" } });
      else expect(outcome).toMatchObject({ ok: true, result: JSON.stringify({ token: "[secret:leaky]", stepped: { echoed: "[secret:leaky]", "[secret:leaky]": true } }) });
    }
  });

  it("fails for good, naming the secret, when it was deleted after submit", async () => {
    const { key, tenant } = await newAdminTenant();
    await putSecret(key, "gone", uniqueValue("gone"));
    await api("/secrets/gone", { key, method: "DELETE" });
    const { hooks } = recordingHooks(tenant);
    const outcome = await runAttempt(leaky, { id: "job_gone", tenant, attempt: 1, series: 0, input: JSON.stringify({ token: { $secret: "gone" } }), timeoutMs: 10_000 }, hooks);
    expect(outcome).toMatchObject({ ok: false, error: { name: "NonRetryableError", retryable: false, message: 'secret "gone" not found: it was deleted after the job was submitted' } });
  });

  it("a ciphertext moved to another tenant or name does not decrypt", async () => {
    const owner = await newAdminTenant();
    const thief = await newAdminTenant();
    await putSecret(owner.key, "moved", uniqueValue("moved"));
    await putSecret(thief.key, "moved", uniqueValue("decoy"));
    await putSecret(thief.key, "renamed", uniqueValue("decoy"));
    const stolen = (await database(envOf(owner.tenant)).select().from(secrets).where(and(eq(secrets.tenant, owner.tenant), eq(secrets.name, "moved"))).get())!;
    for (const name of ["moved", "renamed"]) {
      await database(envOf(thief.tenant)).update(secrets).set({ ciphertext: stolen.ciphertext, iv: stolen.iv }).where(and(eq(secrets.tenant, thief.tenant), eq(secrets.name, name)));
      const { hooks } = recordingHooks(thief.tenant);
      const input = JSON.stringify({ token: { $secret: name } });
      const outcome = await runAttempt(leaky, { id: `job_${name}`, tenant: thief.tenant, attempt: 1, series: 0, input, timeoutMs: 10_000 }, hooks);
      expect(outcome).toMatchObject({ ok: false, error: { name: "NonRetryableError", message: `secret "${name}" cannot be decrypted (was SECRETS_KEY changed?): store it again` } });
    }
  });
});

/** Every stored row of a job, by table, in every table a run writes to. */
async function storedRowsOf(jobId: string) {
  const db = database({ DB: (await shardOfJob(jobId))!.db });
  const [jobRows, attemptRows, logRows, stepRows, deadLetterRows, itemRows] = await Promise.all([
    db.select().from(jobs).where(eq(jobs.id, jobId)),
    db.select().from(attempts).where(eq(attempts.jobId, jobId)),
    db.select().from(jobLogs).where(eq(jobLogs.jobId, jobId)),
    db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId)),
    db.select().from(deadLetters).where(eq(deadLetters.jobId, jobId)),
    db.select().from(batchItems).where(eq(batchItems.jobId, jobId)),
  ]);
  return { jobs: jobRows, attempts: attemptRows, jobLogs: logRows, jobSteps: stepRows, deadLetters: deadLetterRows, batchItems: itemRows };
}

describe("a job naming a secret runs with its value, and no stored row holds the value", () => {
  // The tests' configuration lets requests to 127.0.0.1:1 through (nothing listens there), so an
  // attempt that got the value fails connecting (retryable), while one that did not would fail its
  // input check (an object is not a URL) at once.
  const closedPortUrl = (value: string) => `http://127.0.0.1:1/hook?token=${value}`;

  it("in the queue consumer: the value is in no row of jobs, attempts, job_logs, job_steps or dead_letters", async () => {
    const { key } = await newAdminTenant();
    const token = uniqueValue("url-token");
    await putSecret(key, "hook", closedPortUrl(token));
    const job = await submit(key, { type: "http.request", input: { url: { $secret: "hook" } }, maxAttempts: 1 });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { retryable: true }, input: { url: { $secret: "hook" } } });
    // The job reported `GET <url>` as it started: the URL was the value, and is shown by its name.
    expect(done.progress.message).toBe("GET [secret:hook]");
    const stored = await storedRowsOf(job.id);
    // Its one attempt is held by the job row (attempt rows are written only for replaced attempts).
    expect(stored.attempts).toHaveLength(0);
    expect(stored.jobs[0]).toMatchObject({ attemptOutcome: "failed" });
    expect(stored.deadLetters).toHaveLength(1);
    expect(JSON.parse(stored.jobs[0]!.input)).toMatchObject({ url: { $secret: "hook" } });
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it("in a Workflow (a batch's items): items keep the reference; no step, item or other row holds the value", async () => {
    const { key } = await newAdminTenant();
    const token = uniqueValue("item-token");
    const apiKey = uniqueValue("item-key");
    await putSecret(key, "hook", closedPortUrl(token));
    await putSecret(key, "item-key", apiKey);
    const item = { url: { $secret: "hook" }, headers: { "x-api-key": { $secret: "item-key" } } };
    const job = await submit(key, { type: "batch", input: { itemType: "http.request", items: [item, item] }, maxAttempts: 1 });
    expect(job.durable).toBe(true);
    const done = await waitForStatus(key, job.id, ["completed", "failed"], 40_000);
    expect(done, JSON.stringify(done.error)).toMatchObject({ status: "completed", result: { total: 2, succeeded: 0, failed: 2 } });
    const stored = await storedRowsOf(job.id);
    expect(stored.jobSteps.map((s) => s.name)).toContain("items 0-1");
    for (const row of stored.batchItems) {
      // Each item got the URL (it tried to connect, five times, as http.request retries) ...
      expect(row).toMatchObject({ status: "failed", attempts: 5 });
      expect(JSON.parse(row.error!)).toMatchObject({ retryable: true });
      // ... and its stored input still names the secrets.
      expect(JSON.parse(row.input)).toMatchObject({ url: { $secret: "hook" }, headers: { "x-api-key": { $secret: "item-key" } } });
    }
    const text = JSON.stringify(stored);
    expect(text).not.toContain(token);
    expect(text).not.toContain(apiKey);
  });
});

describe("SECRETS_KEY configuration", () => {
  const callWith = (bindings: Partial<Env> & Record<string, unknown>, path: string, init: RequestInit = {}) =>
    createApp().fetch(
      new Request(`https://jobs.test/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" } }),
      { ...env, ...bindings },
      createExecutionContext(),
    );

  it.each([
    ["missing", undefined, "SECRETS_KEY must be set in production"],
    ["the example value", "dev-secrets-key-change-me", "the example SECRETS_KEY from .dev.vars.example is refused in production"],
  ])("production refuses to serve with SECRETS_KEY %s (503 not_configured)", async (_, secretsKey, message) => {
    const production = { ENVIRONMENT: "production", SECRETS_KEY: secretsKey };
    for (const [path, init] of [["/jobs", {}], ["/secrets/x", { method: "PUT", body: JSON.stringify({ value: "v" }) }]] as const) {
      const error = await expectError(await callWith(production, path, init), 503, "not_configured");
      expect(error.message).toBe(message);
    }
  });

  it("outside production, a .dev.vars without SECRETS_KEY seals with the example's key", async () => {
    const name = `dev-default-${crypto.randomUUID().slice(0, 8)}`;
    const value = uniqueValue("dev");
    const res = await callWith({ ENVIRONMENT: "development", SECRETS_KEY: undefined }, `/secrets/${name}`, { method: "PUT", body: JSON.stringify({ value }) });
    expect(res.status, await res.clone().text()).toBe(201);
    const row = (await database(envOf("admin")).select().from(secrets).where(and(eq(secrets.tenant, "admin"), eq(secrets.name, name))).get())!;
    const key = await secretsKey({ ENVIRONMENT: "development", SECRETS_KEY: "dev-secrets-key-change-me" });
    expect(await openSecret(key, "admin", name, row)).toBe(value);
  });
});
