import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { PLATFORM_BINDING, everyDatabase, shardBindings, shardOf, tenantEnv, tenantHash } from "../../src/db/shards";
import { later } from "./api-helpers";
import { deliver, handler, insertJob, jobRow, shardOfJob } from "./engine-helpers";
import { ADMIN_KEY, api, dbOf, env, json, newTenant, submit, uploadFile, waitForStatus } from "./helpers";

type Tenant = Awaited<ReturnType<typeof newTenant>>;

/** A new tenant whose data the hash puts in `binding`. */
async function tenantIn(binding: string, scopes?: string[]): Promise<Tenant> {
  for (;;) {
    const tenant = await newTenant(scopes);
    if (shardOf(env, tenant.tenant) === binding) return tenant;
  }
}

const OTHER = (binding: string) => (binding === "DB" ? "DB_1" : "DB");
const count = async (db: D1Database, table: string, tenant: string) =>
  (await db.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant = ?`).bind(tenant).first<{ n: number }>())!.n;

const cron = (scheduledTime = Date.now()) =>
  handler.scheduled!(createScheduledController({ scheduledTime, cron: "* * * * *" }), env, createExecutionContext());

describe("tenants are spread over the D1 shards by a stable hash", () => {
  it("the tests run with two shards, and the hash is stable and spreads tenants over both", () => {
    expect(shardBindings(env)).toEqual(["DB", "DB_1"]);
    expect(everyDatabase(env).map((d) => d.binding)).toEqual(["DB", "DB_1"]);
    // FNV-1a: the same tenant always lands on the same shard, whatever runtime computes it.
    expect(tenantHash("acme")).toBe(tenantHash("acme"));
    expect(tenantHash("")).toBe(0x811c9dc5);
    const spread = new Set(Array.from({ length: 64 }, (_, i) => shardOf(env, `tenant-${i}`)));
    expect(spread).toEqual(new Set(["DB", "DB_1"]));
  });

  it("adding a shard moves only the tenants it wins, about one in three from two to three shards", () => {
    const tenants = Array.from({ length: 3_000 }, (_, i) => `tenant-${i}`);
    const three = { ...env, D1_SHARDS: "DB,DB_1,DB_2" };
    const moved = tenants.filter((t) => shardOf(env, t) !== shardOf(three, t));
    expect(moved.every((t) => shardOf(three, t) === "DB_2")).toBe(true);
    expect(moved.length / tenants.length).toBeGreaterThan(0.28);
    expect(moved.length / tenants.length).toBeLessThan(0.39);
  });

  it("TENANT_DATABASES gives a tenant a database of its own, whatever its hash says", () => {
    const hashed = shardOf(env, "globex");
    const pinned = { ...env, TENANT_DATABASES: `globex=${OTHER(hashed)}, acme = DB` };
    expect(shardOf(pinned, "globex")).toBe(OTHER(hashed));
    expect(shardOf(pinned, "acme")).toBe("DB");
    expect(shardOf(pinned, "initech")).toBe(shardOf(env, "initech"));
    expect(() => tenantEnv({ ...env, TENANT_DATABASES: "globex=DB_MISSING" }, "globex")).toThrow(/DB_MISSING/);
  });

  it("a tenant's rows are written to its shard only: key, jobs, tags, schedules, uploads, secrets, settings", async () => {
    for (const binding of ["DB", "DB_1"]) {
      const t = await tenantIn(binding, ["admin"]);
      await submit(t.key, later({ tags: ["here"] }));
      await json(await api("/schedules", { key: t.key, body: { name: "nightly", cron: "0 3 * * *", job: { type: "simulate", input: { steps: 1, stepMs: 0 } } } }), 201);
      await uploadFile(t.key, "a.csv", "text/csv", "id\n1\n");
      await json(await api("/secrets/token", { key: t.key, method: "PUT", body: { value: "s3cret" } }), 201);
      await json(await api("/settings", { key: t.key, method: "PUT", body: { jobs: { retentionDays: 3 } } }), 200);
      const own = env[binding as "DB"];
      const other = env[OTHER(binding) as "DB"];
      for (const table of ["api_keys", "jobs", "job_tags", "schedules", "uploads", "secrets", "tenant_settings"]) {
        expect(await count(own, table, t.tenant), `${table} in ${binding}`).toBeGreaterThan(0);
        expect(await count(other, table, t.tenant), `${table} in ${OTHER(binding)}`).toBe(0);
      }
    }
  });

  it("a tenant pinned by TENANT_DATABASES has its key and jobs written to that database", async () => {
    const tenant = `pinned-${crypto.randomUUID().slice(0, 8)}`;
    const target = OTHER(shardOf(env, tenant));
    const pinnedEnv = { ...env, TENANT_DATABASES: `${tenant}=${target}` };
    const call = async (path: string, key: string, body: unknown) => {
      const ctx = createExecutionContext();
      const init = { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) };
      const res = await createApp().fetch(new Request(`https://jobs.test/api/v1${path}`, init), pinnedEnv, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const { key } = await json(await call("/keys", ADMIN_KEY, { name: "pinned", tenant, scopes: ["jobs:read", "jobs:write"] }), 201);
    const job = await json(await call("/jobs", key, later()), 202);
    expect(await count(env[target as "DB"], "api_keys", tenant)).toBe(1);
    expect((await shardOfJob(job.id))?.binding).toBe(target);
  });
});

describe("every route a tenant calls reads its own shard", () => {
  it("two tenants on different shards each see only their own jobs, schedules, uploads, secrets and keys", async () => {
    const a = await tenantIn("DB", ["admin"]);
    const b = await tenantIn("DB_1", ["admin"]);
    const mine = new Map<Tenant, Record<string, string>>();
    for (const t of [a, b]) {
      const job = await submit(t.key, later());
      const schedule = await json(await api("/schedules", { key: t.key, body: { name: "s", cron: "0 3 * * *", job: { type: "simulate", input: { steps: 1, stepMs: 0 } } } }), 201);
      const upload = await uploadFile(t.key, "x.csv", "text/csv", "id\n1\n");
      await json(await api("/secrets/only-mine", { key: t.key, method: "PUT", body: { value: t.tenant } }), 201);
      mine.set(t, { job: job.id, schedule: schedule.id, upload: upload.id });
    }
    for (const [t, other] of [[a, b], [b, a]] as const) {
      const own = mine.get(t)!;
      const theirs = mine.get(other)!;
      const list = async (path: string) => (await json(await api(path, { key: t.key }), 200)).items.map((i: { id?: string; name?: string }) => i.id ?? i.name);
      expect(await list("/jobs")).toEqual([own.job]);
      expect(await list("/schedules")).toEqual([own.schedule]);
      expect(await list("/uploads")).toEqual([own.upload]);
      expect(await list("/secrets")).toEqual(["only-mine"]);
      expect((await json(await api("/keys", { key: t.key }), 200)).items.map((k: { tenant: string }) => k.tenant)).toEqual([t.tenant]);
      for (const path of [`/jobs/${theirs.job}`, `/schedules/${theirs.schedule}`, `/uploads/${theirs.upload}`]) {
        expect((await api(path, { key: t.key })).status, path).toBe(404);
        expect((await api(path, { key: other.key })).status, path).toBe(200);
      }
      const stats = await json(await api("/stats", { key: t.key }), 200);
      expect(stats.total).toBe(1);
    }
  });

  it("jobs on either shard run to the end, direct and durable", async () => {
    for (const binding of ["DB", "DB_1"]) {
      const t = await tenantIn(binding);
      const direct = await submit(t.key, { type: "simulate", input: { steps: 2, stepMs: 0 } });
      const durable = await submit(t.key, { type: "simulate", input: { steps: 2, stepMs: 0, durable: true } });
      for (const job of [direct, durable]) {
        expect((await waitForStatus(t.key, job.id, ["completed", "failed"], 40_000)).status, `${binding} ${job.id}`).toBe("completed");
        expect((await shardOfJob(job.id))?.binding).toBe(binding);
      }
    }
  });

  it("a queue message names its jobs' shard; one that names none (sent before sharding) means DB", async () => {
    const onShard1 = await tenantIn("DB_1");
    const job = await insertJob(onShard1.tenant, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    // Named the wrong database, the message finds no job there (and waits for it, as for a lagging read).
    const wrong = await deliver([{ ids: [job.id], db: "DB" }]);
    expect(wrong.result.explicitAcks).toEqual([]);
    expect((await jobRow(job.id)).status).toBe("queued");
    await deliver([{ ids: [job.id], db: "DB_1" }]);
    expect((await jobRow(job.id)).status).toBe("completed");

    const onPlatformShard = await tenantIn(PLATFORM_BINDING);
    const old = await insertJob(onPlatformShard.tenant, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const { result, ids } = await deliver([{ ids: [old.id], db: undefined }]);
    expect(result.explicitAcks).toEqual(ids);
    expect((await jobRow(old.id)).status).toBe("completed");
  });
});

describe("the platform's views and the clock cover every shard", () => {
  it("a job on each shard whose queue message was lost is found by the clock's sweeper and runs", async () => {
    const jobs = [];
    for (const binding of ["DB", "DB_1"]) {
      const t = await tenantIn(binding);
      // Its message was due 10 minutes ago and never came.
      const job = await insertJob(t.tenant, { type: "simulate", input: { steps: 1, stepMs: 0 } }, { dispatchDueAt: Date.now() - 600_000 });
      jobs.push({ t, job });
    }
    await cron();
    for (const { t, job } of jobs) expect((await waitForStatus(t.key, job.id, ["completed"], 20_000)).status).toBe("completed");
  });

  it("GET /health counts stuck jobs of every shard", async () => {
    const before = (await json(await api("/health"), 200)).stuckJobs as number;
    for (const binding of ["DB", "DB_1"]) {
      const t = await tenantIn(binding);
      await insertJob(t.tenant, later(), { status: "running", heartbeatAt: Date.now() - 3_600_000, timeoutMs: 1_000, claimToken: null, dispatchDueAt: null });
    }
    const health = await json(await api("/health"));
    expect(health.stuckJobs).toBe(before + 2);
    expect(health.status).toBe("degraded");
  });

  it("the platform admin lists keys of tenants on every shard and cleans up every shard", async () => {
    const a = await tenantIn("DB");
    const b = await tenantIn("DB_1");
    const tenants = (await json(await api("/keys"), 200)).items.map((k: { tenant: string }) => k.tenant);
    expect(tenants).toEqual(expect.arrayContaining([a.tenant, b.tenant]));
    const old = Date.now() - 60 * 86_400_000;
    for (const t of [a, b]) await insertJob(t.tenant, later(), { status: "completed", createdAt: old, finishedAt: old, dispatchDueAt: null });
    const all = await json(await api("/maintenance/cleanup?tenant=*", { method: "POST" }), 200);
    expect(all.jobs).toBeGreaterThanOrEqual(2);
    for (const t of [a, b]) expect(await count(dbOf(t.tenant), "jobs", t.tenant)).toBe(0);
    // A key of a tenant on either shard is revoked by the platform admin.
    await json(await api(`/keys/${b.id}`, { method: "DELETE" }), 200);
    expect((await api("/jobs", { key: b.key })).status).toBe(401);
  });

  it("a tick fires the schedules of every shard", async () => {
    const created = [];
    for (const binding of ["DB", "DB_1"]) {
      const t = await tenantIn(binding);
      const schedule = await json(await api("/schedules", { key: t.key, body: { name: "often", intervalMs: 60_000, job: { type: "simulate", input: { steps: 1, stepMs: 0 } } } }), 201);
      created.push({ t, schedule });
    }
    await cron(Date.now() + 90_000);
    for (const { t, schedule } of created) {
      const planned = await json(await api(`/jobs?tag=${encodeURIComponent(`schedule:${schedule.id}`)}`, { key: t.key }), 200);
      expect(planned.items.length, t.tenant).toBeGreaterThan(0);
    }
  });
});
