import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { database, type JobRow } from "../../src/db/client";
import { jobFinishHours, jobFinishes } from "../../src/db/schema";
import { shardOf } from "../../src/db/shards";
import { STUCK_GRACE_MS } from "../../src/engine/sweeper";
import { captureSql, expectError, queryPlan } from "./api-helpers";
import { handler, insertJob, tickAMinuteLater } from "./engine-helpers";
import { api, env, envOf, json, newTenant, submit, tenantBeside, waitForStatus } from "./helpers";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const quick = { type: "simulate", input: { steps: 1, stepMs: 0 } };
const iso = (ms: number) => new Date(ms).toISOString();
const minuteOf = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
const hourOf = (ms: number) => Math.floor(ms / HOUR) * HOUR;

type Counts = { completed: number; failed: number; perMinute: number; failureRate: number | null };
type Stats = { byStatus: Record<string, number>; windows: Record<"hour" | "day" | "week", Counts>; lastHour: Omit<Counts, "failureRate">; durationMs: unknown; durationByType: Record<string, unknown>; stuck: number };
type History = { window: string; bucketSeconds: number; points: { at: string; completed: number; failed: number }[] };

const stats = async (key?: string) => json<Stats>(await api("/stats", key ? { key } : {}), 200);
const history = async (window: string, key?: string) => json<History>(await api(`/stats/history?window=${window}`, key ? { key } : {}), 200);

/** The real tick, as the Cron Trigger runs it: it rolls up the jobs created over a minute ago. */
async function tick() {
  await handler.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, createExecutionContext());
}


/** A job of the tenant's history that finished `agoMs` ago; only before the file's first tick (see stats.test.ts). */
function finishedJob(tenant: string, status: "completed" | "failed", agoMs: number, request: { type: string; input?: unknown } = quick, runMs = 40) {
  const finishedAt = Date.now() - agoMs;
  const overrides: Partial<JobRow> = { status, createdAt: finishedAt - runMs - 1_000, startedAt: finishedAt - runMs, finishedAt, dispatchDueAt: null, attempts: 1 };
  return insertJob(tenant, request, overrides);
}

const sumOf = (h: History) => h.points.reduce((acc, p) => ({ completed: acc.completed + p.completed, failed: acc.failed + p.failed }), { completed: 0, failed: 0 });
const pointAt = (h: History, at: number) => h.points.find((p) => p.at === iso(at));

type Tenant = Awaited<ReturnType<typeof newTenant>>;
const made: Tenant[] = [];
const tenantOf = async () => {
  const t = await newTenant();
  made.push(t);
  return t;
};
let main: { t: Tenant; retried: JobRow; at: Record<"m30" | "h3" | "d2", number> };
let beside: Tenant;
let typed: Tenant;
let expiring: { t: Tenant; kept: number };
let folded: Tenant & { minutes: { minute: number; kept: boolean }[] };

beforeAll(async () => {
  // Minutes as an earlier roll-up or the trigger left them: the first tick folds those past two hours.
  const f = await tenantOf();
  const now = Date.now();
  const minutes = [
    { minute: minuteOf(now - 3 * HOUR), kept: false },
    { minute: minuteOf(now - 2.5 * HOUR), kept: false },
    { minute: minuteOf(now - 2 * HOUR - 5 * MINUTE), kept: false },
    { minute: minuteOf(now - 90 * MINUTE), kept: true },
    { minute: minuteOf(now - 10 * MINUTE), kept: true },
  ];
  await database(envOf(f.tenant)).insert(jobFinishes).values(minutes.map(({ minute }) => ({ tenant: f.tenant, minute, completed: 2, failed: 1 }))).run();
  folded = { ...f, minutes };

  const t = await tenantOf();
  const m30 = await finishedJob(t.tenant, "completed", 30 * MINUTE);
  await finishedJob(t.tenant, "completed", 3 * HOUR);
  const retried = await finishedJob(t.tenant, "failed", 3 * HOUR);
  const d2 = await finishedJob(t.tenant, "failed", 2 * DAY);
  // Outside the week: counted nowhere.
  await finishedJob(t.tenant, "completed", 10 * DAY);
  main = { t, retried, at: { m30: m30.finishedAt!, h3: retried.finishedAt!, d2: d2.finishedAt! } };

  beside = await tenantBeside(t.tenant);
  made.push(beside);
  await finishedJob(beside.tenant, "failed", 20 * MINUTE);

  typed = await tenantOf();
  for (let i = 0; i < 3; i++) await finishedJob(typed.tenant, "completed", 2 * DAY, quick, 40);
  await finishedJob(typed.tenant, "completed", 2 * DAY, { type: "http.request", input: { url: "https://example.com" } }, 100);

  // Hours written as a roll-up long ago would have: the clock deletes those past eight days.
  const e = await tenantOf();
  const kept = hourOf(Date.now() - 6.5 * DAY);
  await database(envOf(e.tenant)).insert(jobFinishHours).values([
    { tenant: e.tenant, hour: hourOf(Date.now() - 9 * DAY), completed: 5, failed: 5 },
    { tenant: e.tenant, hour: kept, completed: 2, failed: 1 },
  ]).run();
  expiring = { t: e, kept };
  await tick();
});

describe("GET /stats windows, per-type durations and stuck jobs", () => {
  it("counts finishes over the hour, day and week from the roll-ups, and the jobs since them once", async () => {
    const { t, retried, at } = main;
    const rolled = await stats(t.key);
    expect(rolled.windows).toEqual({
      hour: { completed: 1, failed: 0, perMinute: 1 / 60, failureRate: 0 },
      day: { completed: 2, failed: 1, perMinute: 3 / 1440, failureRate: 1 / 3 },
      week: { completed: 2, failed: 2, perMinute: 4 / 10_080, failureRate: 0.5 },
    });
    expect(rolled.lastHour).toEqual({ completed: 1, failed: 0, perMinute: 1 / 60 });

    // One job not rolled up yet, and a rolled-up job that failed 3 hours ago and completes on a
    // retry: both completions count, and so does the failure, which happened too.
    const fresh = await submit(t.key, quick);
    await waitForStatus(t.key, fresh.id, ["completed"]);
    await json(await api(`/jobs/${retried.id}/retry`, { key: t.key, method: "POST" }), 202);
    await waitForStatus(t.key, retried.id, ["completed"]);
    const moved = await stats(t.key);
    expect(moved.windows).toEqual({
      hour: { completed: 3, failed: 0, perMinute: 3 / 60, failureRate: 0 },
      day: { completed: 4, failed: 1, perMinute: 5 / 1440, failureRate: 0.2 },
      week: { completed: 4, failed: 2, perMinute: 6 / 10_080, failureRate: 1 / 3 },
    });
    const day = await history("day", t.key);
    expect(pointAt(day, hourOf(at.h3))).toEqual({ at: iso(hourOf(at.h3)), completed: 1, failed: 1 });

    // The next roll-up takes the fresh job from its row into its minute: no change.
    await tickAMinuteLater();
    expect((await stats(t.key)).windows).toEqual(moved.windows);
    expect(sumOf(await history("day", t.key))).toEqual({ completed: 4, failed: 1 });
  });

  it("gives a window of nothing as zeros with a null failure rate, and its own tenant's only", async () => {
    const none = { completed: 0, failed: 0, perMinute: 0, failureRate: null };
    expect((await stats((await newTenant()).key)).windows).toEqual({ hour: none, day: none, week: none });
    // The tenant beside the main one, in the same database, sees its one failure only.
    expect((await stats(beside.key)).windows.day).toEqual({ completed: 0, failed: 1, perMinute: 1 / 1440, failureRate: 1 });
  });

  it("keeps eight days of hours: the week reads the kept one, the clock deleted the older", async () => {
    const { t, kept } = expiring;
    expect((await stats(t.key)).windows.week).toEqual({ completed: 2, failed: 1, perMinute: 3 / 10_080, failureRate: 1 / 3 });
    const rows = await database(envOf(t.tenant)).select().from(jobFinishHours).where(eq(jobFinishHours.tenant, t.tenant));
    expect(rows).toEqual([{ tenant: t.tenant, hour: kept, completed: 2, failed: 1, cancelled: 0 }]);
  });

  it("folds the minutes past two hours into their hours, each finish once, and keeps the others", async () => {
    const { tenant, key, minutes } = folded;
    const rows = await database(envOf(tenant)).select().from(jobFinishHours).where(eq(jobFinishHours.tenant, tenant));
    // Each minute held 2 completions and 1 failure; an hour holds those of its folded minutes.
    const foldedIn = (hour: number) => minutes.filter((m) => !m.kept && hourOf(m.minute) === hour).length;
    const hours = [...new Set(minutes.filter((m) => !m.kept).map((m) => hourOf(m.minute)))].sort((x, y) => x - y);
    expect(rows.sort((x, y) => x.hour - y.hour)).toEqual(hours.map((hour) => ({ tenant, hour, completed: 2 * foldedIn(hour), failed: foldedIn(hour), cancelled: 0 })));
    const left = await database(envOf(tenant)).select().from(jobFinishes).where(eq(jobFinishes.tenant, tenant));
    expect(left.map((r) => r.minute).sort((x, y) => x - y)).toEqual(minutes.filter((m) => m.kept).map((m) => m.minute));
    const body = await stats(key);
    expect(body.windows.day).toMatchObject({ completed: 2 * minutes.length, failed: minutes.length });
    expect(body.windows.hour).toMatchObject({ completed: 2, failed: 1 });
    expect(sumOf(await history("day", key))).toEqual({ completed: 2 * minutes.length, failed: minutes.length });
  });

  it("splits the newest completed jobs' durations by type", async () => {
    const body = await stats(typed.key);
    expect(body.durationMs).toEqual({ p50: 40, p95: 100, sample: 4 });
    expect(body.durationByType).toEqual({
      simulate: { p50: 40, p95: 40, sample: 3 },
      "http.request": { p50: 100, p95: 100, sample: 1 },
    });
  });

  it("the platform's admin key sums every tenant of every database", async () => {
    const each = await Promise.all(made.map((m) => stats(m.key)));
    const all = await stats();
    for (const window of ["day", "week"] as const) {
      expect(all.windows[window].completed, window).toBe(each.reduce((n, s) => n + s.windows[window].completed, 0));
      expect(all.windows[window].failed, window).toBe(each.reduce((n, s) => n + s.windows[window].failed, 0));
    }
    expect(all.durationByType).toMatchObject({ simulate: { sample: expect.any(Number) }, "http.request": { p50: 100, sample: 1 } });
    expect(sumOf(await history("week"))).toEqual({ completed: all.windows.week.completed, failed: all.windows.week.failed });
  });

  it("counts the tenant's running jobs whose heartbeat is past their time limit and the sweeper's grace", async () => {
    // No tick after this: the sweeper would fail the stuck job.
    const s = await tenantOf();
    const now = Date.now();
    const running = { status: "running", startedAt: now - HOUR, attemptStartedAt: now - HOUR, attemptOutcome: "running", attempts: 1, claimToken: "c", dispatchDueAt: null, timeoutMs: 30_000 } as const;
    await insertJob(s.tenant, quick, { ...running, heartbeatAt: now - 30_000 - STUCK_GRACE_MS - 5_000 });
    // Quiet, but within the grace: not stuck yet.
    await insertJob(s.tenant, quick, { ...running, heartbeatAt: now - 30_000 - STUCK_GRACE_MS + 10_000 });
    await insertJob(s.tenant, quick, { ...running, heartbeatAt: now });
    expect((await stats(s.key)).stuck).toBe(1);
    expect((await stats(main.t.key)).stuck).toBe(0);
    expect((await stats()).stuck).toBe(1);
  });
});

describe("GET /stats/history", () => {
  it("gives every bucket of the hour, day and week, the last one in progress, summing to the window", async () => {
    const { t, at } = main;
    const before = Date.now();
    const [hour, day, week, body] = [await history("hour", t.key), await history("day", t.key), await history("week", t.key), await stats(t.key)];
    const after = Date.now();
    for (const [h, window, bucket, count] of [[hour, "hour", MINUTE, 61], [day, "day", HOUR, 25], [week, "week", HOUR, 169]] as const) {
      expect(h.window).toBe(window);
      expect(h.bucketSeconds).toBe(bucket / 1000);
      expect(h.points, window).toHaveLength(count);
      const times = h.points.map((p) => Date.parse(p.at));
      expect(times.slice(1).map((ms, i) => ms - times[i]!)).toEqual(Array(count - 1).fill(bucket));
      expect([Math.floor(before / bucket) * bucket, Math.floor(after / bucket) * bucket]).toContain(times.at(-1));
      const { completed, failed } = body.windows[window];
      expect(sumOf(h), window).toEqual({ completed, failed });
    }
    expect(pointAt(hour, minuteOf(at.m30))).toEqual({ at: iso(minuteOf(at.m30)), completed: 1, failed: 0 });
    expect(pointAt(week, hourOf(at.d2))).toEqual({ at: iso(hourOf(at.d2)), completed: 0, failed: 1 });
    expect(hour.points.filter((p) => p.completed + p.failed > 0).length).toBeLessThanOrEqual(3);
  });

  it("keeps to the tenant's own jobs", async () => {
    const other = sumOf(await history("day", beside.key));
    expect(other).toEqual({ completed: 0, failed: 1 });
    const { key } = await newTenant();
    const empty = await history("week", key);
    expect(empty.points).toHaveLength(169);
    expect(empty.points.every((p) => p.completed === 0 && p.failed === 0)).toBe(true);
  });

  it("refuses a missing or unknown window with the validation envelope", async () => {
    const { key } = main.t;
    const envelope = {
      error: {
        code: "validation_failed",
        message: "request failed validation in query",
        details: [{ path: "window", message: 'Invalid option: expected one of "hour"|"day"|"week"', code: "invalid_value" }],
        requestId: expect.any(String),
      },
    };
    expect(await json(await api("/stats/history", { key }), 400)).toEqual(envelope);
    expect(await json(await api("/stats/history?window=month", { key }), 400)).toEqual(envelope);
  });

  it("needs a key with jobs:read", async () => {
    await expectError(await api("/stats/history?window=hour", { key: null }), 401, "unauthorized");
    const { key } = await newTenant(["reports:read"]);
    expect(await json(await api("/stats/history?window=hour", { key }), 403)).toEqual({
      error: { code: "forbidden", message: "this key lacks the `jobs:read` scope", requestId: expect.any(String) },
    });
  });

  it("reads jobs and finish counts through index ranges only", async () => {
    let t = await newTenant();
    while (shardOf(env, t.tenant) !== "DB") t = await newTenant();
    for (const window of ["hour", "week"]) {
      const { res, statements } = await captureSql(`/stats/history?window=${window}`, t.key);
      expect(res.status).toBe(200);
      const reads = statements.filter((s) => /\bFROM (jobs|job_finishes|job_finish_hours)\b/.test(s.sql));
      expect(reads).toHaveLength(2);
      for (const statement of reads) {
        const plan = (await queryPlan(statement)).join(" | ");
        expect(plan, statement.sql).not.toMatch(/\bSCAN (jobs|job_finishes|job_finish_hours)\b/);
        expect(plan, statement.sql).toMatch(/SEARCH (jobs USING (COVERING )?INDEX jobs_tenant_status_id|job_finish(es|_hours) USING PRIMARY KEY)/);
      }
    }
  });

  it("is in the OpenAPI document with its query and shape", async () => {
    const doc = await json(await api("/openapi.json", { key: null }), 200);
    const op = doc.paths["/api/v1/stats/history"].get;
    expect(op.parameters).toEqual([expect.objectContaining({ name: "window", in: "query", required: true, schema: expect.objectContaining({ enum: ["hour", "day", "week"] }) })]);
    expect(Object.keys(op.responses).sort()).toEqual(["200", "400", "401", "403", "500", "503"]);
    expect(doc.components.schemas.StatsHistory.required).toEqual(["window", "bucketSeconds", "points"]);
    expect(Object.keys(doc.components.schemas.Stats.properties)).toEqual(expect.arrayContaining(["windows", "durationByType", "stuck"]));
  });
});

describe("finishes of retried jobs", () => {
  const failing = { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 10 }, maxAttempts: 1 };
  const failAll = async (key: string, ids: string[]) => {
    for (const id of ids) await waitForStatus(key, id, ["failed"]);
  };
  const retry = async (key: string, ids: string[]) => {
    for (const id of ids) await json(await api(`/jobs/${id}/retry`, { key, method: "POST" }), 202);
  };

  it("counts every finish once in every window and series: a job that fails again after a retry counts again", async () => {
    const t = await tenantOf();
    const jobs = await Promise.all(Array.from({ length: 8 }, () => submit(t.key, failing)));
    const ids = jobs.map((j) => j.id);
    await failAll(t.key, ids);
    // Retried and failed again before the roll-up saw them: their rows hold the second failure only.
    await retry(t.key, ids.slice(0, 2));
    await failAll(t.key, ids);
    await tickAMinuteLater();
    // Rolled up, then retried (one by the bulk retry) and failed again.
    await retry(t.key, ids.slice(2, 5));
    const bulk = await json<{ id: string }>(await api("/jobs/bulk", { key: t.key, body: { action: "retry", ids: [ids[5]] } }), 202);
    expect((await waitForStatus(t.key, bulk.id, ["completed", "failed"], 40_000)).status).toBe("completed");
    await failAll(t.key, ids);
    // Not rolled up yet.
    const late = await submit(t.key, failing);
    await failAll(t.key, [late.id]);

    // 9 jobs failed, 15 failures (8 + 2 + 4 + 1) and the bulk job's completion.
    const expected = { completed: 1, failed: 15 };
    const check = async () => {
      const body = await stats(t.key);
      expect(body.byStatus).toEqual({ failed: 9, completed: 1 });
      expect(body.windows).toEqual({
        hour: { ...expected, perMinute: 16 / 60, failureRate: 15 / 16 },
        day: { ...expected, perMinute: 16 / 1440, failureRate: 15 / 16 },
        week: { ...expected, perMinute: 16 / 10_080, failureRate: 15 / 16 },
      });
      expect(body.lastHour).toEqual({ ...expected, perMinute: 16 / 60 });
      for (const window of ["hour", "day", "week"]) expect(sumOf(await history(window, t.key)), window).toEqual(expected);
    };
    await check();
    // The roll-up takes the jobs since from their rows into their minutes: nothing moves.
    await tickAMinuteLater();
    await check();
  });
});
