import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { database } from "../../src/db/client";
import { usageDays } from "../../src/db/schema";
import { metered } from "../../src/engine/metering";
import { resultWidth } from "../../src/engine/metered-d1";
import { DAY_MS, PLATFORM_USAGE, dayOf, ledgerStatement, recordUsage } from "../../src/usage/ledger";
import { PRICES } from "../../src/usage/prices";
import type { UsageReport } from "../../src/schemas/usage";
import { expectError, later } from "./api-helpers";
import { handler, insertJob, message, tickAMinuteLater, watch, closedWithin } from "./engine-helpers";
import { ADMIN_KEY, api, dbOf, env, json, newTenant, submit, tenantBeside, uploadFile, waitFor, waitForStatus } from "./helpers";

type Row = typeof usageDays.$inferSelect;
const COUNTERS = ["requests", "d1Queries", "d1RowsRead", "d1RowsWritten", "durableObjectRequests", "workflowSteps", "queueOperations"] as const;

/** The tenant's ledger row for the day of `at`, read straight from D1 (zeros when there is none). */
async function ledgerRow(tenant: string, at = Date.now()): Promise<Record<(typeof COUNTERS)[number], number>> {
  const row = await database({ DB: dbOf(tenant) })
    .select()
    .from(usageDays)
    .where(and(eq(usageDays.tenant, tenant), eq(usageDays.day, dayOf(at))))
    .get();
  return Object.fromEntries(COUNTERS.map((f) => [f, (row as Row | undefined)?.[f] ?? 0])) as Record<(typeof COUNTERS)[number], number>;
}

const today = () => new Date(dayOf(Date.now())).toISOString().slice(0, 10);

async function usageOf(key: string, query = ""): Promise<UsageReport> {
  return json<UsageReport>(await api(`/usage${query}`, { key }), 200);
}

/** Today's entry of the tenant's usage. */
async function todayOf(key: string) {
  const usage = await usageOf(key, `?from=${today()}&to=${today()}`);
  return usage.days[0]!;
}

/** The usage line an invocation logs with USAGE_LOG on (its metered usage and the ledger's own write). */
function usageLine(spy: { mock: { calls: unknown[][] } }, event: string) {
  const lines = spy.mock.calls.map(([line]) => String(line)).filter((line) => line.startsWith(`{"event":"${event}"`));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as { usage: Record<string, number>; ledger: { d1Queries: number; d1RowsRead: number; d1RowsWritten: number } };
}

/** What a logged line says the ledger must have added: the metered usage plus the ledger's own statement. */
function expectedDelta(line: ReturnType<typeof usageLine>, requests: number) {
  return {
    requests,
    d1Queries: line.usage.d1Queries! + line.ledger.d1Queries,
    d1RowsRead: line.usage.d1RowsRead! + line.ledger.d1RowsRead,
    d1RowsWritten: line.usage.d1RowsWritten! + line.ledger.d1RowsWritten,
    durableObjectRequests: line.usage.durableObjectCalls!,
    workflowSteps: line.usage.workflowSteps!,
    queueOperations: line.usage.queueOperations!,
  };
}

const minus = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(a).map((k) => [k, a[k]! - b[k]!]));
const withLog = { ...env, USAGE_LOG: "true" } as Env;

afterEach(() => vi.restoreAllMocks());

describe("metering counts what D1 says each statement read and wrote", () => {
  it("for run, all, first, batch and drizzle's raw reads and RETURNING writes", async () => {
    const { tenant } = await newTenant();
    const jobs = await Promise.all([1, 2, 3].map(() => insertJob(tenant, { type: "simulate" })));
    const db = dbOf(tenant);
    const { env: m, usage } = metered({ ...env, DB: db } as Env);
    const select = "SELECT id, status FROM jobs WHERE tenant = ? ORDER BY id";
    const truth = (await db.prepare(select).bind(tenant).all()).meta;

    const first = await m.DB.prepare(select).bind(tenant).first<{ id: string }>();
    expect(first?.id).toBe(jobs[0]!.id);
    expect(await m.DB.prepare(select).bind(tenant).first("status")).toBe("queued");
    expect(usage).toMatchObject({ d1Queries: 2, d1RowsRead: 2 * truth.rows_read, d1QueriesUnmetered: 0 });

    // Drizzle reads every select through `raw`: the rows come back the same, and are counted.
    const viaDrizzle = await database(m).select({ id: usageDays.tenant }).from(usageDays).where(eq(usageDays.tenant, tenant)).all();
    expect(viaDrizzle).toEqual([]);
    const { jobs: jobsTable } = await import("../../src/db/schema");
    const rows = await database(m).select({ id: jobsTable.id, status: jobsTable.status }).from(jobsTable).where(eq(jobsTable.tenant, tenant)).orderBy(jobsTable.id);
    expect(rows).toEqual(jobs.map((j) => ({ id: j.id, status: "queued" })));
    expect(usage.d1QueriesUnmetered).toBe(0);

    // A RETURNING write through drizzle: what D1 reports for the same update of another row.
    const before = { ...usage };
    const updated = await database(m).update(jobsTable).set({ progressStage: "x" }).where(eq(jobsTable.id, jobs[1]!.id)).returning({ id: jobsTable.id }).get();
    expect(updated).toEqual({ id: jobs[1]!.id });
    const same = (await db.prepare("UPDATE jobs SET progress_stage = 'x' WHERE id = ? RETURNING id").bind(jobs[2]!.id).all()).meta;
    expect(usage.d1RowsWritten - before.d1RowsWritten).toBe(same.rows_written);
    expect(same.rows_written).toBeGreaterThan(0);

    const batchBefore = usage.d1Queries;
    await m.DB.batch([m.DB.prepare("SELECT 1"), m.DB.prepare(select).bind(tenant)]);
    expect(usage.d1Queries - batchBefore).toBe(2);
  });

  it("answers a raw read whose result repeats a column name as D1 does, counting it as unmetered", async () => {
    const { tenant } = await newTenant();
    await insertJob(tenant, { type: "simulate" });
    const { env: m, usage } = metered({ ...env, DB: dbOf(tenant) } as Env);
    const query = "SELECT a.status, b.status FROM jobs a JOIN jobs b ON b.id = a.id WHERE a.tenant = ?";
    expect(await m.DB.prepare(query).bind(tenant).raw()).toEqual(await dbOf(tenant).prepare(query).bind(tenant).raw());
    expect(usage).toMatchObject({ d1Queries: 1, d1QueriesUnmetered: 1, d1RowsRead: 0 });
  });

  it("tells a result's width from its text only when its column names are distinct and none is a number", () => {
    expect(resultWidth('select "id", "jobs"."tenant", count(*), (SELECT 1 FROM t WHERE a = b) as "n" from "jobs" where x')).toBe(4);
    expect(resultWidth('update "jobs" set "watched" = ? where "id" = ? returning "id", "watched"')).toBe(2);
    expect(resultWidth("with t as (select a, b from c) select x, 'a,b' as y from t")).toBe(2);
    for (const query of ['select "jobs"."error", "dead_letters"."error" from x', "select 1 from x", "select * from x", 'select "a", "a" from x', "pragma x"]) {
      expect(resultWidth(query), query).toBeUndefined();
    }
  });

  it("the ledger's upsert reads and writes one row per tenant, as it counts itself", async () => {
    const day = dayOf(Date.now()) - 400 * DAY_MS;
    const rows = ["u-one", "u-two"].map((tenant) => ({ tenant, requests: 1, d1Queries: 0, d1RowsRead: 0, d1RowsWritten: 0, durableObjectRequests: 0, workflowSteps: 0, queueOperations: 0 }));
    const inserted = (await ledgerStatement(env.DB, day, rows).run()).meta;
    const updated = (await ledgerStatement(env.DB, day, [rows[0]!, { ...rows[1]!, tenant: "u-three" }]).run()).meta;
    expect([inserted.rows_read, inserted.rows_written, updated.rows_read, updated.rows_written]).toEqual([2, 2, 2, 2]);
  });
});

describe("every invocation adds what it used to its tenants' day", () => {
  it("an API request: exactly what metering saw, plus the ledger's own write, after the response", async () => {
    const { tenant, key } = await newTenant();
    const before = await ledgerRow(tenant);
    const log = vi.spyOn(console, "log");
    const ctx = createExecutionContext();
    const res = await handler.fetch!(new Request("https://jobs.test/api/v1/jobs?limit=5", { headers: { authorization: `Bearer ${key}` } }), withLog, ctx);
    expect(res.status).toBe(200);
    await waitOnExecutionContext(ctx);
    const line = usageLine(log, "api_request");
    expect(line.usage.d1RowsRead).toBeGreaterThan(0);
    expect(line.ledger).toEqual({ d1Queries: 1, d1RowsRead: 1, d1RowsWritten: 1 });
    expect(minus(await ledgerRow(tenant), before)).toEqual(expectedDelta(line, 1));
  });

  it("a request refused before it used any binding (no key, a forged one) writes nothing", async () => {
    const before = await ledgerRow(PLATFORM_USAGE);
    const log = vi.spyOn(console, "log");
    for (const authorization of [undefined, "Bearer not-a-key", "Bearer ejk_forged.abc"]) {
      const ctx = createExecutionContext();
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const res = await handler.fetch!(new Request("https://jobs.test/api/v1/jobs", { headers }), withLog, ctx);
      expect(res.status).toBe(401);
      await waitOnExecutionContext(ctx);
    }
    expect(log.mock.calls.filter(([line]) => String(line).includes('"api_request"'))).toEqual([]);
    expect(await ledgerRow(PLATFORM_USAGE)).toEqual(before);
  });

  it("a consumer batch: split between its jobs' tenants by their share of the jobs, adding up to what it used", async () => {
    const a = await newTenant();
    const b = await tenantBeside(a.tenant);
    const jobs = [await insertJob(a.tenant, { type: "simulate", input: { steps: 1, stepMs: 0 } }), await insertJob(a.tenant, { type: "simulate", input: { steps: 1, stepMs: 0 } })];
    jobs.push(await insertJob(b.tenant, { type: "simulate", input: { steps: 1, stepMs: 0 } }));
    const before = { a: await ledgerRow(a.tenant), b: await ledgerRow(b.tenant) };
    const log = vi.spyOn(console, "log");
    const body = { v: 1, ids: jobs.map((j) => j.id), db: (await import("../../src/db/shards")).shardOf(env, a.tenant) };
    const batch = createMessageBatch("jobs-normal", [message(body)]);
    const ctx = createExecutionContext();
    await handler.queue!(batch, withLog, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);

    const line = usageLine(log, "consumer_batch");
    // The ledger's own cost: one upsert for the database, one row per tenant, however many jobs.
    expect(line.ledger).toEqual({ d1Queries: 1, d1RowsRead: 2, d1RowsWritten: 2 });
    const total = expectedDelta(line, 1);
    // One message: delivered (a read) and acknowledged (a delete).
    expect(total.queueOperations).toBe(2);
    const shareA = minus(await ledgerRow(a.tenant), before.a);
    const shareB = minus(await ledgerRow(b.tenant), before.b);
    expect(Object.fromEntries(COUNTERS.map((f) => [f, shareA[f]! + shareB[f]!]))).toEqual(total);
    expect(shareA.requests).toBe(1);
    expect(Math.abs(shareA.d1RowsWritten! - ((total.d1RowsWritten - line.ledger.d1RowsWritten) * 2) / 3)).toBeLessThanOrEqual(1 + 1);
  });
});

describe("GET /usage", () => {
  it("shows the stored bytes of the day's snapshot: uploads and report versions, an object shared by equal versions once", async () => {
    const { tenant, key } = await newTenant(["jobs:read", "jobs:write", "reports:write"]);
    const upload = await uploadFile(key, "a.csv", "text/csv", "id\n1\n2\n");
    await json(await api("/reports", { key, body: { name: "notes", format: "text", content: "hello" } }), 201);
    await api("/reports", { key, body: { name: "notes-copy", format: "text", content: "hello" } });
    // The snapshot is hourly: let this tick take one whatever the file's earlier ticks did.
    await dbOf(tenant).prepare("UPDATE job_rollup_marks SET stored_at = NULL").run();
    await tickAMinuteLater();
    expect((await todayOf(key)).r2BytesStored).toBe(upload.size + 5);
  });

  it("shows jobs by outcome, D1 rows, queue operations and their cost, for the tenant's own day", async () => {
    const { key } = await newTenant();
    const done = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const failed = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true } });
    const cancelled = await submit(key, later());
    await json(await api(`/jobs/${cancelled.id}/cancel`, { key, method: "POST" }), 200);
    await waitForStatus(key, done.id, ["completed"]);
    await waitForStatus(key, failed.id, ["failed"]);
    await tickAMinuteLater();

    const day = await waitFor(() => todayOf(key), (d) => d.jobs.completed + d.jobs.failed + d.jobs.cancelled === 3);
    expect(day.jobs).toEqual({ submitted: 3, completed: 1, failed: 1, cancelled: 1 });
    expect(day.d1.rowsWritten).toBeGreaterThan(0);
    expect(day.d1.rowsRead).toBeGreaterThan(0);
    // Three messages sent, each delivered and acknowledged at least once (the cancelled job's is delayed an hour).
    expect(day.queueOperations).toBeGreaterThanOrEqual(3 + 2 * 2);
    expect(day.workflowSteps).toBe(0);
    expect(day.durableObjectRequests).toBe(0);
    const m = PRICES.perMillion;
    expect(day.cost.d1RowsWritten).toBeCloseTo((day.d1.rowsWritten * m.d1RowWritten) / 1e6, 9);
    expect(day.cost.queueOperations).toBeCloseTo((day.queueOperations * m.queueOperation) / 1e6, 9);
    expect(day.cost.workerRequests).toBeCloseTo((day.requests * m.workerRequest) / 1e6, 9);
    const items = Object.entries(day.cost).filter(([k]) => k !== "total").reduce((n, [, v]) => n + v, 0);
    expect(day.cost.total).toBeCloseTo(items, 9);
  });

  it("counts a durable job's Workflow steps, and Durable Object requests once someone watches", async () => {
    const [watched, unwatched] = [await newTenant(), await newTenant()];
    const input = { type: "simulate", input: { steps: 3, stepMs: 0, durable: true }, delayMs: 300 };
    const [job, alone] = [await submit(watched.key, input), await submit(unwatched.key, input)];
    const watcher = await watch(watched.key, job.id);
    await waitForStatus(watched.key, job.id, ["completed"]);
    await waitForStatus(unwatched.key, alone.id, ["completed"]);
    await closedWithin(watcher);
    const day = await waitFor(() => todayOf(watched.key), (d) => d.workflowSteps >= 3);
    expect(day.workflowSteps).toBe(3);
    // The watch itself (a request to the job's object) and the events the Workflow published to it.
    expect(day.durableObjectRequests).toBeGreaterThanOrEqual(2);
    const quiet = await waitFor(() => todayOf(unwatched.key), (d) => d.workflowSteps >= 3);
    expect([quiet.workflowSteps, quiet.durableObjectRequests]).toEqual([3, 0]);
    expect(day.cost.durableObjectRequests).toBeCloseTo((day.durableObjectRequests * PRICES.perMillion.durableObjectRequest) / 1e6, 9);
  });

  it("keeps tenants apart; the platform's admin key sees them all, or the one it names", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await submit(a.key, later());
    const seen = await waitFor(() => todayOf(a.key), (d) => d.requests >= 1);
    const other = await todayOf(b.key);
    expect(other.requests).toBeLessThan(seen.requests);
    await expectError(await api(`/usage?tenant=${a.tenant}`, { key: b.key }), 403, "forbidden");
    const named = await usageOf(ADMIN_KEY, `?tenant=${a.tenant}&from=${today()}&to=${today()}`);
    expect(named.tenant).toBe(a.tenant);
    expect(named.days[0]!.requests).toBeGreaterThanOrEqual(seen.requests);
    const all = await usageOf(ADMIN_KEY, `?from=${today()}&to=${today()}`);
    expect(all.tenant).toBeNull();
    expect(all.days[0]!.requests).toBeGreaterThan(named.days[0]!.requests);
    const platform = await usageOf(ADMIN_KEY, `?tenant=${PLATFORM_USAGE}&from=${today()}&to=${today()}`);
    expect(platform.days[0]!.requests).toBeGreaterThan(0);
  });

  it("lists every day of the range, UTC, each invocation on the day it ran", async () => {
    const { tenant, key } = await newTenant();
    const midnight = Date.UTC(2026, 1, 1);
    const counts = { requests: 1, d1Queries: 2, d1RowsRead: 3, d1RowsWritten: 4, durableObjectRequests: 0, workflowSteps: 0, queueOperations: 0 };
    await recordUsage(env, new Map([[tenant, counts]]), midnight - 1);
    await recordUsage(env, new Map([[tenant, counts]]), midnight);
    await recordUsage(env, new Map([[tenant, counts]]), midnight + DAY_MS - 1);
    const usage = await usageOf(key, "?from=2026-01-30&to=2026-02-02");
    expect(usage).toMatchObject({ tenant, from: "2026-01-30", to: "2026-02-02" });
    expect(usage.days.map((d) => [d.day, d.requests, d.d1.rowsWritten])).toEqual([
      ["2026-01-30", 0, 0],
      ["2026-01-31", 1, 5],
      ["2026-02-01", 2, 10],
      ["2026-02-02", 0, 0],
    ]);
    expect(usage.total).toMatchObject({ requests: 3, d1: { queries: 9, rowsRead: 12, rowsWritten: 15 } });
    expect(usage.prices).toMatchObject({ currency: "USD", d1RowWrittenPerMillion: 1, r2StoragePerGbMonth: 0.015 });
    const defaults = await usageOf(key);
    expect(defaults.days).toHaveLength(30);
    expect(defaults.to).toBe(today());
  });

  it("refuses dates that are not days, a range backwards and one longer than 366 days", async () => {
    const { key } = await newTenant();
    for (const query of ["from=2026-13-01", "to=2026-02-30", "from=yesterday", "from=2026-03-02&to=2026-03-01", "from=2025-01-01&to=2026-01-02"]) {
      const error = await expectError(await api(`/usage?${query}`, { key }), 400, "validation_failed");
      expect(error.details?.[0]?.path).toMatch(/from|to/);
    }
    await expectError(await api("/usage", { key: null }), 401, "unauthorized");
  });
});
