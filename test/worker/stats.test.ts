import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { type JobRow, database } from "../../src/db/client";
import { jobs } from "../../src/db/schema";
import { shardBindings, shardOf, tenantEnv } from "../../src/db/shards";
import { prepareJobs } from "../../src/engine/submit";
import type { SubmitJob } from "../../src/schemas/job";
import { jobRollups } from "../../src/db/schema";
import { captureSql, later, queryPlan } from "./api-helpers";
import { handler } from "./engine-helpers";
import { api, env, json, newTenant, submit, waitForStatus } from "./helpers";

const DAY = 86_400_000;
const quick = { type: "simulate", input: { steps: 1, stepMs: 0 } };

/** The real tick, as the Cron Trigger runs it: the roll-up takes the jobs created over a minute ago. */
async function tick(scheduledTime = Date.now()) {
  await handler.scheduled!(createScheduledController({ scheduledTime, cron: "* * * * *" }), env, createExecutionContext());
}

/**
 * A job of the tenant's history, written into its database as if submitted `daysAgo` days ago.
 * Only before the file's first tick: the roll-up takes every job created over a minute before it,
 * and a row written later with an older id would lie below the watermark, which the engine never
 * does (a job's row is written in the request that made its id).
 */
async function pastJob(tenant: string, daysAgo: number, request: Partial<SubmitJob>, overrides: Partial<JobRow> = {}) {
  const at = Date.now() - daysAgo * DAY;
  const [prepared] = prepareJobs(tenant, [{ ...quick, priority: "normal", tags: [], ...request } as SubmitJob], at, () => "");
  const row = { ...prepared!, ...overrides } as JobRow;
  await database(tenantEnv(env, tenant)).insert(jobs).values(row).run();
  return row;
}

const finished = (status: "completed" | "failed" | "cancelled", daysAgo: number) => {
  const at = Date.now() - daysAgo * DAY;
  return { status, startedAt: at, finishedAt: at + 40, dispatchDueAt: null } satisfies Partial<JobRow>;
};
/** Queued for 300 days: its message comes every 12 hours and re-delays it. */
const farAhead = () => ({ runAt: Date.now() + 300 * DAY, dispatchDueAt: Date.now() + DAY / 2 }) satisfies Partial<JobRow>;

async function rollups(tenant: string) {
  const rows = await database(tenantEnv(env, tenant)).select().from(jobRollups).where(eq(jobRollups.tenant, tenant));
  return Object.fromEntries(rows.map(({ tenant: _, type, priority, ...counts }) => [`${type} ${priority}`, counts]));
}
const counts = (values: Partial<Record<"queued" | "retrying" | "running" | "completed" | "failed" | "cancelled", number>>) => ({
  queued: 0, retrying: 0, running: 0, completed: 0, failed: 0, cancelled: 0, ...values,
});

const stats = async (key?: string) => json(await api("/stats", key ? { key } : {}), 200);
type Lane = { lane: string; paused: boolean; depth: number; scheduled: number; inFlight: number };
const lanes = async (key?: string): Promise<Record<string, Omit<Lane, "lane">>> => {
  const body = await json<{ items: Lane[] }>(await api("/queues", key ? { key } : {}), 200);
  return Object.fromEntries(body.items.map(({ lane, ...rest }) => [lane, rest]));
};

type Tenant = Awaited<ReturnType<typeof newTenant>>;
const http = { type: "http.request", input: { url: "https://example.com" } };

/** Every tenant of this file (its storage is its own) and the history written for them before any tick. */
const made: Tenant[] = [];
const tenantOf = async (scopes?: string[]) => {
  const t = await newTenant(scopes);
  made.push(t);
  return t;
};
let moving: { t: Tenant; failed: JobRow; delayed: JobRow; parked: JobRow };
let expiring: Tenant;
let platform: Tenant[];
let justDone: { t: Tenant; job: JobRow };

beforeAll(async () => {
  // The lane of the parked job below is paused before the first tick, or the sweeper would announce it.
  await json(await api("/queues/critical/pause", { method: "POST" }), 200);
  const t = await tenantOf();
  for (let i = 0; i < 3; i++) await pastJob(t.tenant, 2, {}, finished("completed", 2));
  const failed = await pastJob(t.tenant, 2, { priority: "high" }, finished("failed", 2));
  await pastJob(t.tenant, 2, {}, finished("cancelled", 2));
  const delayed = await pastJob(t.tenant, 2, { ...http, priority: "low" }, farAhead());
  await pastJob(t.tenant, 2, { ...http, priority: "low" }, farAhead());
  // Due two days ago but parked on the paused lane: waiting and due, so depth.
  const parked = await pastJob(t.tenant, 2, { priority: "critical" }, { dispatchDueAt: null });
  moving = { t, failed, delayed, parked };

  expiring = await tenantOf(["admin", "jobs:read", "jobs:write"]);
  for (let i = 0; i < 4; i++) await pastJob(expiring.tenant, 3, {}, finished("completed", 3));
  await pastJob(expiring.tenant, 0.1, {}, finished("failed", 0.1));

  // Two tenants in different databases when the tests run with more than one.
  const a = await tenantOf();
  let b = await tenantOf();
  while (shardBindings(env).length > 1 && shardOf(env, b.tenant) === shardOf(env, a.tenant)) b = await tenantOf();
  for (const p of [a, b]) {
    await pastJob(p.tenant, 1, http, finished("completed", 1));
    await pastJob(p.tenant, 1, { priority: "low" }, farAhead());
  }
  platform = [a, b];

  // Submitted two minutes ago (as the API writes a row) and finished a second ago: not rolled up yet.
  const d = await tenantOf();
  justDone = { t: d, job: await pastJob(d.tenant, 2 / 1440, {}, { status: "completed", startedAt: Date.now() - 1_000, finishedAt: Date.now(), dispatchDueAt: null }) };
});

describe("stats and queues read the clock's roll-ups", () => {
  it("a job that finished before the roll-up is counted once: among the jobs since, then in the roll-up", async () => {
    const { t } = justDone;
    const early = await stats(t.key);
    expect(early).toMatchObject({ total: 1, byStatus: { completed: 1 }, byType: { simulate: 1 }, lastHour: { completed: 1 }, durationMs: { sample: 1 } });
    expect(await rollups(t.tenant)).toEqual({});
    // Two ticks at once (of two slots, so both take the lease): their roll-ups count each job once.
    const now = Date.now();
    await Promise.all([tick(now), tick(now + 1)]);
    expect(await rollups(t.tenant)).toEqual({ "simulate normal": counts({ completed: 1 }) });
    expect(await stats(t.key)).toEqual(early);
  });

  it("count history rolled up by the tick, the jobs since, and rolled-up jobs that move on", async () => {
    const { t, failed, delayed, parked } = moving;
    const key = t.key;
    try {
      const fresh = await submit(key, quick);
      await submit(key, later());
      await waitForStatus(key, fresh.id, ["completed"]);
      await tick();

      // The tick rolled up the history, not the jobs of the last minute.
      expect(await rollups(t.tenant)).toEqual({
        "simulate normal": counts({ completed: 3, cancelled: 1 }),
        "simulate high": counts({ failed: 1 }),
        "http.request low": counts({ queued: 2 }),
        "simulate critical": counts({ queued: 1 }),
      });
      const before = await stats(key);
      expect(before).toMatchObject({
        byStatus: { completed: 4, failed: 1, cancelled: 1, queued: 4 },
        byType: { simulate: 8, "http.request": 2 },
        byPriority: { normal: 6, high: 1, low: 2, critical: 1 },
        total: 10,
        successRate: 4 / 5,
        durationMs: { p50: 40, sample: 4 },
        lastHour: { completed: 1, failed: 0, perMinute: 1 / 60 },
      });
      expect(Object.keys(before.byStatus).sort()).toEqual(["cancelled", "completed", "failed", "queued"]);
      expect(await lanes(key)).toEqual({
        critical: { paused: true, depth: 1, scheduled: 0, inFlight: 0 },
        high: { paused: false, depth: 0, scheduled: 0, inFlight: 0 },
        normal: { paused: false, depth: 0, scheduled: 1, inFlight: 0 },
        low: { paused: false, depth: 0, scheduled: 2, inFlight: 0 },
      });

      // Rolled-up jobs change status: a retry that completes, a cancel. Their counts move with them.
      await json(await api(`/jobs/${failed.id}/retry`, { key, method: "POST" }), 202);
      await waitForStatus(key, failed.id, ["completed"]);
      await json(await api(`/jobs/${delayed.id}/cancel`, { key, method: "POST" }), 200);
      expect(await rollups(t.tenant)).toMatchObject({
        "simulate high": counts({ completed: 1 }),
        "http.request low": counts({ queued: 1, cancelled: 1 }),
      });
      const moved = await stats(key);
      expect(moved).toMatchObject({
        byStatus: { completed: 5, cancelled: 2, queued: 3 },
        total: 10,
        successRate: 1,
        durationMs: { sample: 5 },
        lastHour: { completed: 2, failed: 0 },
      });
      expect(moved.byStatus.failed).toBeUndefined();
      expect((await lanes(key)).low).toEqual({ paused: false, depth: 0, scheduled: 1, inFlight: 0 });

      // Another tick adds nothing twice and loses nothing.
      await tick();
      expect(await stats(key)).toEqual(moved);

      await json(await api("/queues/critical/resume", { method: "POST" }), 200);
      await waitForStatus(key, parked.id, ["completed"]);
      expect(await stats(key)).toMatchObject({ byStatus: { completed: 6, cancelled: 2, queued: 2 }, total: 10, lastHour: { completed: 3 } });
      expect((await lanes(key)).critical).toEqual({ paused: false, depth: 0, scheduled: 0, inFlight: 0 });
    } finally {
      await api("/queues/critical/resume", { method: "POST" });
    }
  });

  it("retention takes the jobs it deletes out of the roll-ups", async () => {
    const { tenant, key } = expiring;
    await tick();
    expect(await rollups(tenant)).toEqual({ "simulate normal": counts({ completed: 4, failed: 1 }) });

    await json(await api("/settings", { key, method: "PUT", body: { jobs: { retentionDays: 1 } } }), 200);
    await tick();
    expect(await rollups(tenant)).toEqual({ "simulate normal": counts({ failed: 1 }) });
    expect(await stats(key)).toMatchObject({
      byStatus: { failed: 1 },
      byType: { simulate: 1 },
      total: 1,
      successRate: 0,
      housekeeping: { retentionDays: 1, jobsDeleted: 4, lastDeleted: 4 },
    });
  });

  it("the platform's admin key sees every tenant of every database", async () => {
    for (const p of platform) await submit(p.key, later({ priority: "low" }));
    await tick();
    for (const p of platform) expect(await stats(p.key)).toMatchObject({ total: 3, byStatus: { queued: 2, completed: 1 }, byType: { simulate: 2, "http.request": 1 } });
    // The platform's counts are the sums of every tenant's.
    const each = await Promise.all(made.map((m) => stats(m.key)));
    const sum = (field: "byStatus" | "byType" | "byPriority") =>
      each.reduce<Record<string, number>>((acc, s) => {
        for (const [k, n] of Object.entries(s[field] as Record<string, number>)) acc[k] = (acc[k] ?? 0) + n;
        return acc;
      }, {});
    const all = await stats();
    expect(all).toMatchObject({ byStatus: sum("byStatus"), byType: sum("byType"), byPriority: sum("byPriority") });
    expect(all.total).toBe(each.reduce((n, s) => n + s.total, 0));
    expect(all.lastHour.completed).toBe(each.reduce((n, s) => n + s.lastHour.completed, 0));
    const laneViews = await Promise.all(made.map((m) => lanes(m.key)));
    const allLanes = await lanes();
    for (const lane of ["critical", "high", "normal", "low"]) {
      expect(allLanes[lane]!.scheduled).toBe(laneViews.reduce((n, v) => n + v[lane]!.scheduled, 0));
      expect(allLanes[lane]!.depth).toBe(laneViews.reduce((n, v) => n + v[lane]!.depth, 0));
    }
    expect(allLanes.low!.scheduled).toBeGreaterThanOrEqual(4);
  });

  it("reads jobs only through index ranges, never a scan of the tenant's jobs", async () => {
    let tenant = await tenantOf();
    while (shardOf(env, tenant.tenant) !== "DB") tenant = await tenantOf();
    await submit(tenant.key, quick);
    for (const path of ["/stats", "/queues"]) {
      const { res, statements } = await captureSql(path, tenant.key);
      expect(res.status).toBe(200);
      const onJobs = statements.filter((s) => /\bFROM jobs\b/.test(s.sql));
      expect(onJobs.length).toBeGreaterThan(0);
      for (const statement of onJobs) {
        const plan = (await queryPlan(statement)).join(" | ");
        expect(plan, statement.sql).not.toMatch(/SCAN jobs/);
        expect(plan, statement.sql).toMatch(/SEARCH jobs USING (COVERING )?INDEX (jobs_tenant_status_id|jobs_tenant_type_priority_id|jobs_waiting)/);
      }
    }
    const planOf = async (fragment: string) => {
      const { statements } = await captureSql("/stats", tenant.key);
      return (await queryPlan(statements.find((s) => s.sql.includes(fragment))!)).join(" | ");
    };
    // The two counts of the jobs since the roll-up read the indexes alone.
    expect(await planOf("SELECT status, count(*)")).toContain("COVERING INDEX jobs_tenant_status_id");
    expect(await planOf("SELECT type, priority, count(*)")).toContain("COVERING INDEX jobs_tenant_type_priority_id");
  });
});
