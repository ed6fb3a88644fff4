import { inArray } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { jobs, schedules } from "../../src/db/schema";
import type { Job } from "../../src/schemas/job";
import type { Schedule } from "../../src/schemas/schedule";
import { listJobs } from "./api-helpers";
import { fireEveryShard } from "./engine-helpers";
import { api, env, fromEveryShard, json, newTenant, onEveryShard } from "./helpers";

const quick = { type: "simulate", input: { steps: 1, stepMs: 0 } };
const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** A whole minute a day from now: jobs planned for it never start during the test. */
const aDayAhead = () => Math.ceil((Date.now() + 86_400_000) / MINUTE) * MINUTE;
/** What a tick at `start - 5 s` plans of a schedule every 10 s from `start`: its first seven instants. */
const firstSeven = (start: number) => [0, 10, 20, 30, 40, 50, 60].map((s) => start + s * SECOND);

interface Run {
  instant: string;
  trigger: string;
  jobId: string | null;
  jobStatus: string | null;
  skippedReason: string | null;
  createdAt: string;
}

/** A tenant with an admin key (for its rules) and a `jobs:write` key (for its schedules). */
async function tenantWithWriter() {
  const admin = await newTenant(["admin"]);
  const writer = await json(await api("/keys", { body: { name: "writer", tenant: admin.tenant, scopes: ["jobs:read", "jobs:write"] } }), 201);
  return { tenant: admin.tenant, adminKey: admin.key, key: writer.key as string };
}

async function create(key: string, body: Record<string, unknown>): Promise<Schedule> {
  return json<Schedule>(await api("/schedules", { key, body: { name: crypto.randomUUID(), job: quick, ...body } }), 201);
}

async function scheduledJobs(key: string, id: string): Promise<Job[]> {
  const page = await listJobs(key, `tag=${encodeURIComponent(`schedule:${id}`)}&limit=200`);
  return page.items.sort((a, b) => Date.parse(a.runAt) - Date.parse(b.runAt) || a.id.localeCompare(b.id));
}

/** The schedule's history through its API, oldest instant first. */
async function runs(key: string, id: string): Promise<Run[]> {
  const page = await json<{ items: Run[] }>(await api(`/schedules/${id}/runs?limit=100`, { key }), 200);
  return page.items.reverse();
}

const skipped = (reason: RegExp | string) => ({ jobId: null, jobStatus: null, skippedReason: typeof reason === "string" ? reason : expect.stringMatching(reason) });

// A tick fires every due schedule in the file's storage: each test starts with none enabled.
afterEach(async () => {
  await onEveryShard((db) => db.update(schedules).set({ enabled: 0 }).run());
});

describe("schedules obey the tenant's rate limits", () => {
  it("records the instants a reject rule refuses as skipped, submits nothing for them, and an edit does not fire them again", async () => {
    const { adminKey, key } = await tenantWithWriter();
    await json(await api("/rate-limits/simulate", { method: "PUT", key: adminKey, body: { limit: 2, windowMs: HOUR } }), 200);
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/10 * * * * *", startsAt: iso(start) });

    await fireEveryShard(start - 5 * SECOND);
    const submitted = await scheduledJobs(key, schedule.id);
    expect(submitted.map((j) => j.runAt)).toEqual(firstSeven(start).slice(0, 2).map(iso));
    const reason = "rate_limited: rate limit reached for simulate: 2 per 3600000 ms";
    const history = await runs(key, schedule.id);
    expect(history).toEqual(
      firstSeven(start).map((at, i) => ({
        instant: iso(at),
        trigger: "schedule",
        createdAt: expect.any(String),
        ...(i < 2 ? { jobId: submitted[i]!.id, jobStatus: "queued", skippedReason: null } : skipped(reason)),
      })),
    );
    expect(await json(await api(`/schedules/${schedule.id}`, { key }), 200)).toMatchObject({ lastRunAt: iso(start + 10 * SECOND) });

    // The next tick's instants find the window still full.
    await fireEveryShard(start + 20 * SECOND);
    expect(await scheduledJobs(key, schedule.id)).toEqual(submitted);
    expect((await runs(key, schedule.id)).slice(7)).toEqual([70, 80, 90].map((s) => expect.objectContaining({ instant: iso(start + s * SECOND), ...skipped(reason) })));

    // An edit replaces the planned jobs (they give their place in the window back) and plans the
    // same instants again: still two jobs, not two more.
    const edited = { ...quick, input: { steps: 2, stepMs: 0 } };
    await json(await api(`/schedules/${schedule.id}`, { key, method: "PATCH", body: { job: edited } }), 200);
    await fireEveryShard(start - 5 * SECOND);
    const after = await scheduledJobs(key, schedule.id);
    const queued = after.filter((j) => j.status === "queued");
    expect(queued.map((j) => [j.runAt, (j.input as { steps: number }).steps])).toEqual(firstSeven(start).slice(0, 2).map((at) => [iso(at), 2]));
    expect(after.filter((j) => j.status === "cancelled").map((j) => j.id).sort()).toEqual(submitted.map((j) => j.id).sort());
    expect(after).toHaveLength(4);
    const replanned = await runs(key, schedule.id);
    expect(replanned.map((r) => [r.instant, r.jobId])).toEqual(firstSeven(start).map((at, i) => [iso(at), queued[i]?.id ?? null]));
    expect(replanned.slice(2).every((r) => r.skippedReason === reason)).toBe(true);
  });

  it("in throttle mode submits every instant and lets the throttle delay their starts", async () => {
    const { adminKey, key } = await tenantWithWriter();
    await json(await api("/rate-limits/simulate", { method: "PUT", key: adminKey, body: { limit: 2, windowMs: HOUR, mode: "throttle" } }), 200);
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/10 * * * * *", startsAt: iso(start) });

    await fireEveryShard(start - 5 * SECOND);
    const submitted = await scheduledJobs(key, schedule.id);
    expect(submitted.map((j) => j.runAt)).toEqual(firstSeven(start).map(iso));
    expect((await runs(key, schedule.id)).map((r) => [r.jobId, r.skippedReason])).toEqual(submitted.map((j) => [j.id, null]));
    // Gated by the throttle, as any submission of a throttled type: each start waits for room in the window.
    const rows = await fromEveryShard((db) => db.select({ gated: jobs.gated, throttleKey: jobs.throttleKey }).from(jobs).where(inArray(jobs.id, submitted.map((j) => j.id))));
    expect(rows).toEqual(submitted.map(() => ({ gated: 1, throttleKey: "simulate\n" })));
  });

  it("records the instants the live-jobs quota refuses as skipped", async () => {
    const { tenant, key } = await tenantWithWriter();
    await json(await api(`/settings?tenant=${tenant}`, { method: "PUT", body: { quotas: { liveJobs: 3 } } }), 200);
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/10 * * * * *", startsAt: iso(start) });

    await fireEveryShard(start - 5 * SECOND);
    const submitted = await scheduledJobs(key, schedule.id);
    expect(submitted).toHaveLength(3);
    const history = await runs(key, schedule.id);
    expect(history.map((r) => r.jobId)).toEqual([...submitted.map((j) => j.id), null, null, null, null]);
    expect(history.slice(3)).toEqual(history.slice(3).map(() => expect.objectContaining(skipped(/^quota_live_jobs: .*3 live jobs/))));
  });
});

describe("the minimum interval of a schedule", () => {
  const tooOften = (path: string, shortest: number) => ({
    error: {
      code: "invalid_schedule",
      message: `the schedule was not accepted: ${path}: runs as often as every ${shortest} s; a schedule may run at most once every 10 s`,
      details: [{ path, message: `runs as often as every ${shortest} s; a schedule may run at most once every 10 s` }],
      requestId: expect.any(String),
    },
  });

  it("refuses at create a cron or interval that fires more often than SCHEDULE_MIN_INTERVAL_SECONDS", async () => {
    expect(env.SCHEDULE_MIN_INTERVAL_SECONDS).toBe("10");
    const { key } = await newTenant();
    const refused = async (body: Record<string, unknown>) => json(await api("/schedules", { key, body: { name: crypto.randomUUID(), job: quick, ...body } }), 422);
    expect(await refused({ cron: "* * * * * *" })).toEqual(tooOften("cron", 1));
    expect(await refused({ cron: "*/5 * * * * *" })).toEqual(tooOften("cron", 5));
    // Mostly a minute apart, but two runs a second apart each minute.
    expect(await refused({ cron: "0,1 * * * * *" })).toEqual(tooOften("cron", 1));
    expect(await refused({ cron: "0,5,30 * * * * *", timezone: "Europe/Berlin" })).toEqual(tooOften("cron", 5));
    expect(await refused({ intervalMs: 9_999 })).toEqual(tooOften("intervalMs", 9.999));
    expect(await json(await api("/schedules", { key }), 200)).toMatchObject({ items: [] });

    expect(await create(key, { cron: "*/10 * * * * *" })).toMatchObject({ cron: "*/10 * * * * *" });
    expect(await create(key, { cron: "0,10,49 * * * * *" })).toMatchObject({ cron: "0,10,49 * * * * *" });
    expect(await create(key, { intervalMs: 10_000 })).toMatchObject({ intervalMs: 10_000 });
  });

  it("refuses the same at update, and the schedule keeps its timing", async () => {
    const { key } = await newTenant();
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/30 * * * * *", startsAt: iso(start) });
    const patch = async (body: Record<string, unknown>) => json(await api(`/schedules/${schedule.id}`, { key, method: "PATCH", body }), 422);
    expect(await patch({ cron: "* * * * * *" })).toEqual(tooOften("cron", 1));
    expect(await patch({ intervalMs: 1_000 })).toEqual(tooOften("intervalMs", 1));
    expect(await json(await api(`/schedules/${schedule.id}`, { key }), 200)).toMatchObject({ cron: "*/30 * * * * *", intervalMs: null, updatedAt: schedule.updatedAt });
    await fireEveryShard(start - 5 * SECOND);
    expect((await scheduledJobs(key, schedule.id)).map((j) => j.runAt)).toEqual([0, 30, 60].map((s) => iso(start + s * SECOND)));
  });
});
