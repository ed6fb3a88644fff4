import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { scheduleRuns, schedules } from "../../src/db/schema";
import { fireSchedule } from "../../src/schedules/fire";
import type { Schedule } from "../../src/schemas/schedule";
import type { Job } from "../../src/schemas/job";
import { expectError, listJobs } from "./api-helpers";
import { fireEveryShard, handler } from "./engine-helpers";
import { api, env, envOf, fromEveryShard, json, newTenant, onEveryShard, waitFor, waitForStatus } from "./helpers";

const quick = { type: "simulate", input: { steps: 1, stepMs: 0 } };
const SECOND = 1_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A whole minute a day from now: jobs planned for it never start during the test. */
const aDayAhead = () => Math.ceil((Date.now() + DAY) / MINUTE) * MINUTE;

async function create(key: string, body: Record<string, unknown>): Promise<Schedule> {
  return json<Schedule>(await api("/schedules", { key, body: { name: crypto.randomUUID(), job: quick, ...body } }), 201);
}

const read = async (key: string, id: string) => json<Schedule>(await api(`/schedules/${id}`, { key }), 200);

async function scheduledJobs(key: string, id: string): Promise<Job[]> {
  const page = await listJobs(key, `tag=${encodeURIComponent(`schedule:${id}`)}&limit=200`);
  return page.items.sort((a, b) => Date.parse(a.runAt) - Date.parse(b.runAt));
}

async function runRows(id: string) {
  const rows = await fromEveryShard((db) => db.select().from(scheduleRuns).where(eq(scheduleRuns.scheduleId, id)));
  return rows.sort((a, b) => a.instant - b.instant);
}

const setRow = (id: string, values: Partial<typeof schedules.$inferSelect>) => onEveryShard((db) => db.update(schedules).set(values).where(eq(schedules.id, id)).run());

// A tick fires every due schedule in the file's storage: each test starts with none enabled.
afterEach(async () => {
  await onEveryShard((db) => db.update(schedules).set({ enabled: 0 }).run());
});

describe("schedules API", () => {
  it("creates, reads, lists, changes and deletes a schedule", async () => {
    const { key } = await newTenant();
    const res = await api("/schedules", {
      key,
      body: { name: "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin", startsAt: "2027-01-01T00:00:00Z", job: { ...quick, priority: "low", tags: ["nightly"] } },
    });
    const created = await json<Schedule>(res, 201);
    expect(res.headers.get("location")).toBe(`/api/v1/schedules/${created.id}`);
    expect(created).toMatchObject({
      name: "nightly",
      cron: "0 3 * * *",
      intervalMs: null,
      timezone: "Europe/Berlin",
      job: { type: "simulate", input: { steps: 1, stepMs: 0 }, priority: "low", tags: ["nightly"] },
      enabled: true,
      startsAt: "2027-01-01T00:00:00.000Z",
      endsAt: null,
      misfire: "skip",
      catchUpLimit: 10,
      nextRunAt: "2027-01-01T02:00:00.000Z",
      lastRunAt: null,
    });
    // 03:00 in Berlin is 02:00Z in winter.
    expect(created.nextRuns).toEqual(["01", "02", "03", "04", "05"].map((d) => `2027-01-${d}T02:00:00.000Z`));
    expect(await read(key, created.id)).toEqual(created);

    const second = await create(key, { name: "hourly", intervalMs: 3_600_000 });
    const page = await json(await api("/schedules?limit=1", { key }), 200);
    expect(page.items.map((s: Schedule) => s.id)).toEqual([second.id]);
    const next = await json(await api(`/schedules?limit=1&cursor=${page.nextCursor}`, { key }), 200);
    expect(next.items.map((s: Schedule) => s.id)).toEqual([created.id]);
    expect(next.nextCursor).toBeNull();

    const recron = await json<Schedule>(await api(`/schedules/${created.id}`, { key, method: "PATCH", body: { cron: "30 4 * * *" } }), 200);
    expect(recron).toMatchObject({ cron: "30 4 * * *", timezone: "Europe/Berlin", name: "nightly", nextRunAt: "2027-01-01T03:30:00.000Z" });
    const interval = await json<Schedule>(await api(`/schedules/${created.id}`, { key, method: "PATCH", body: { intervalMs: 3_600_000 } }), 200);
    expect(interval).toMatchObject({ cron: null, intervalMs: 3_600_000 });
    // An interval counts from startsAt.
    expect(interval.nextRuns).toEqual([0, 1, 2, 3, 4].map((h) => `2027-01-01T0${h}:00:00.000Z`));
    expect(new Date(interval.updatedAt).getTime()).toBeGreaterThan(new Date(created.updatedAt).getTime());

    const taken = await json(await api(`/schedules/${created.id}`, { key, method: "PATCH", body: { name: "hourly" } }), 409);
    expect(taken).toEqual({ error: { code: "name_taken", message: 'a schedule named "hourly" already exists', requestId: expect.any(String) } });

    expect((await api(`/schedules/${created.id}`, { key, method: "DELETE" })).status).toBe(204);
    await expectError(await api(`/schedules/${created.id}`, { key }), 404, "not_found");
    await expectError(await api(`/schedules/${created.id}`, { key, method: "DELETE" }), 404, "not_found");
  });

  it("refuses bad schedules with the error envelope", async () => {
    const { key } = await newTenant();
    const refused = async (body: Record<string, unknown>, status: number) =>
      json(await api("/schedules", { key, body: { name: "bad", job: quick, ...body } }), status);
    // The message names what is wrong, as the details do.
    const invalidSchedule = (path: string, message: unknown) => ({
      error: {
        code: "invalid_schedule",
        message: typeof message === "string" ? `the schedule was not accepted: ${path}: ${message}` : expect.stringMatching(new RegExp(`^the schedule was not accepted: ${path}: .`)),
        details: [{ path, message }],
        requestId: expect.any(String),
      },
    });

    expect(await refused({ cron: "61 * * * *" }, 422)).toEqual(invalidSchedule("cron", expect.stringMatching(/minute/i)));
    expect(await refused({ cron: "every day" }, 422)).toEqual(invalidSchedule("cron", expect.stringMatching(/five, six, or seven/)));
    expect(await refused({ cron: "0 0 0 1 1 * 2030" }, 422)).toEqual(invalidSchedule("cron", expect.stringMatching(/5 or 6 parts/)));
    expect(await refused({ cron: "2030-01-01T00:00:00" }, 422)).toEqual(invalidSchedule("cron", "expected a cron expression of 5 or 6 fields, not a date"));
    expect(await refused({ cron: "0 0 30 2 *" }, 422)).toEqual(invalidSchedule("cron", "the expression never matches a date"));
    expect(await refused({ cron: "0 9 * * *", timezone: "Mars/Olympus" }, 422)).toEqual(invalidSchedule("timezone", 'unknown time zone "Mars/Olympus"'));
    expect(await refused({ intervalMs: 60_000, startsAt: "2027-01-02T00:00:00Z", endsAt: "2027-01-01T00:00:00Z" }, 422)).toEqual(
      invalidSchedule("endsAt", "endsAt must be later than startsAt"),
    );

    // The job is checked as a submission would be, with the same messages under `job.`.
    const submitted = await json(await api("/jobs", { key, body: { type: "simulate", input: { steps: "many" } } }), 422);
    const badInput = await refused({ cron: "0 9 * * *", job: { type: "simulate", input: { steps: "many" } } }, 422);
    expect(badInput).toEqual({
      error: {
        code: "invalid_job",
        message: "the job was not accepted",
        details: submitted.error.details.map((d: { path: string }) => ({ ...d, path: `job.${d.path}` })),
        requestId: expect.any(String),
      },
    });
    expect(badInput.error.details[0].path).toBe("job.input.steps");
    expect(await refused({ cron: "0 9 * * *", job: { type: "no.such.type" } }, 422)).toEqual({
      error: { code: "invalid_job", message: "the job was not accepted", details: [{ path: "job.type", message: 'unknown job type "no.such.type"' }], requestId: expect.any(String) },
    });

    const both = await expectError(await api("/schedules", { key, body: { name: "x", job: quick, cron: "* * * * *", intervalMs: 60_000 } }), 400, "validation_failed");
    expect(both.details).toEqual([{ path: "cron", message: "give exactly one of cron or intervalMs", code: "custom" }]);
    const neither = await expectError(await api("/schedules", { key, body: { name: "x", job: quick } }), 400, "validation_failed");
    expect(neither.details?.map((d) => d.path)).toEqual(["cron"]);
    const tooOften = await expectError(await api("/schedules", { key, body: { name: "x", job: quick, intervalMs: 999 } }), 400, "validation_failed");
    expect(tooOften.details?.map((d) => d.path)).toEqual(["intervalMs"]);
    const oneOff = await expectError(await api("/schedules", { key, body: { name: "x", job: { ...quick, delayMs: 5 }, cron: "* * * * *" } }), 400, "validation_failed");
    expect(oneOff.details?.map((d) => d.path)).toEqual(["job"]);
    await expectError(await api("/schedules", { key, body: { name: "x", job: quick, cron: "* * * * *", misfire: "later" } }), 400, "validation_failed");
    await expectError(await api("/schedules", { key, body: { name: "x", job: quick, cron: "* * * * *", catchUpLimit: 101 } }), 400, "validation_failed");

    expect((await json(await api("/schedules", { key }), 200)).items).toEqual([]);
    await create(key, { name: "daily", cron: "0 9 * * *" });
    expect(await refused({ name: "daily", cron: "0 10 * * *" }, 409)).toEqual({
      error: { code: "name_taken", message: 'a schedule named "daily" already exists', requestId: expect.any(String) },
    });

    const created = await create(key, { cron: "0 9 * * *" });
    const patchBad = await json(await api(`/schedules/${created.id}`, { key, method: "PATCH", body: { cron: "0 25 * * *" } }), 422);
    expect(patchBad.error.code).toBe("invalid_schedule");
    await expectError(await api(`/schedules/${created.id}`, { key, method: "PATCH", body: { cron: "* * * * *", intervalMs: 60_000 } }), 400, "validation_failed");
    expect(await read(key, created.id)).toMatchObject({ cron: "0 9 * * *" });
  });

  it("documents every route in the OpenAPI document", async () => {
    const doc = await json(await api("/openapi.json", { key: null }), 200);
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith("/api/v1/schedules"));
    expect(paths.sort()).toEqual(
      ["", "/preview", "/{id}", "/{id}/pause", "/{id}/resume", "/{id}/runs", "/{id}/trigger"].map((p) => `/api/v1/schedules${p}`),
    );
    expect(doc.components.schemas.Schedule.properties.nextRuns).toMatchObject({ type: "array" });
  });

  it("needs jobs:read to read and jobs:write to change", async () => {
    const reader = await newTenant(["jobs:read"]);
    const forbidden = await expectError(await api("/schedules", { key: reader.key, body: { name: "x", job: quick, cron: "* * * * *" } }), 403, "forbidden");
    expect(forbidden.message).toBe("this key lacks the `jobs:write` scope");
    await json(await api("/schedules", { key: reader.key }), 200);
    const writer = await newTenant(["jobs:write"]);
    await expectError(await api("/schedules", { key: writer.key }), 403, "forbidden");
    await expectError(await api("/schedules", { key: null }), 401, "unauthorized");
  });

  it("hides a schedule from other tenants (404, never 403)", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const schedule = await create(a.key, { cron: "0 9 * * *", startsAt: iso(aDayAhead()) });
    const routes: [string, string, unknown?][] = [
      ["GET", ""],
      ["PATCH", "", { cron: "0 10 * * *" }],
      ["POST", "/pause"],
      ["POST", "/resume"],
      ["POST", "/trigger"],
      ["GET", "/runs"],
      ["DELETE", ""],
    ];
    for (const [method, suffix, body] of routes) {
      const error = await expectError(await api(`/schedules/${schedule.id}${suffix}`, { key: b.key, method, body }), 404, "not_found");
      expect(error.message).toBe(`schedule ${schedule.id} not found`);
    }
    expect((await json(await api("/schedules", { key: b.key }), 200)).items).toEqual([]);
    expect(await read(a.key, schedule.id)).toEqual({ ...schedule, nextRuns: expect.any(Array) });
    expect(await runRows(schedule.id)).toEqual([]);
  });
});

describe("run times", () => {
  it("keeps local times across DST changes, as croner computes them", async () => {
    const { key } = await newTenant();
    // Berlin moves from UTC+1 to UTC+2 on 2027-03-28: 09:00 local stays 09:00.
    const berlin = await create(key, { cron: "0 9 * * *", timezone: "Europe/Berlin", startsAt: "2027-03-26T00:00:00Z" });
    expect(berlin.nextRuns).toEqual([
      "2027-03-26T08:00:00.000Z",
      "2027-03-27T08:00:00.000Z",
      "2027-03-28T07:00:00.000Z",
      "2027-03-29T07:00:00.000Z",
      "2027-03-30T07:00:00.000Z",
    ]);
    // 02:30 does not exist in New York on 2027-03-14: it runs once, at 03:00 EDT.
    const springForward = await create(key, { cron: "30 2 * * *", timezone: "America/New_York", startsAt: "2027-03-12T12:00:00Z" });
    expect(springForward.nextRuns).toEqual([
      "2027-03-13T07:30:00.000Z",
      "2027-03-14T07:00:00.000Z",
      "2027-03-15T06:30:00.000Z",
      "2027-03-16T06:30:00.000Z",
      "2027-03-17T06:30:00.000Z",
    ]);
    // 01:30 happens twice on 2027-11-07: a fixed time runs once, at the first (EDT)...
    const fallBack = await create(key, { cron: "30 1 * * *", timezone: "America/New_York", startsAt: "2027-11-06T12:00:00Z" });
    expect(fallBack.nextRuns.slice(0, 3)).toEqual(["2027-11-07T05:30:00.000Z", "2027-11-08T06:30:00.000Z", "2027-11-09T06:30:00.000Z"]);
    // ...while a list runs on both passes through the repeated hour.
    const list = await create(key, { cron: "0,30 1 * * *", timezone: "America/New_York", startsAt: "2027-11-07T04:00:00Z" });
    expect(list.nextRuns).toEqual([
      "2027-11-07T05:00:00.000Z",
      "2027-11-07T05:30:00.000Z",
      "2027-11-07T06:00:00.000Z",
      "2027-11-07T06:30:00.000Z",
      "2027-11-08T06:00:00.000Z",
    ]);

    // A tick just before Berlin's first summer run skips the missed winter ones and plans it.
    await fireEveryShard(Date.parse("2027-03-28T06:59:30Z"));
    expect((await scheduledJobs(key, berlin.id)).map((j) => j.runAt)).toEqual(["2027-03-28T07:00:00.000Z"]);
    expect(await read(key, berlin.id)).toMatchObject({ nextRunAt: "2027-03-29T07:00:00.000Z", lastRunAt: "2027-03-28T07:00:00.000Z" });
  });

  it("runs 6-field expressions on their second", async () => {
    const { key } = await newTenant();
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/15 * * * * *", startsAt: iso(start) });
    expect(schedule.nextRuns).toEqual([0, 15, 30, 45, 60].map((s) => iso(start + s * SECOND)));

    await fireEveryShard(start - 10 * SECOND);
    const jobs = await scheduledJobs(key, schedule.id);
    expect(jobs.map((j) => j.runAt)).toEqual([0, 15, 30, 45, 60].map((s) => iso(start + s * SECOND)));
    expect(jobs.every((j) => j.status === "queued")).toBe(true);
    expect(await read(key, schedule.id)).toMatchObject({ nextRunAt: iso(start + 75 * SECOND) });
  });

  it("runs interval schedules from startsAt, or else from creation", async () => {
    const { key } = await newTenant();
    const before = Date.now();
    const fromCreation = await create(key, { intervalMs: 3_600_000 });
    const created = Date.parse(fromCreation.createdAt);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(fromCreation.nextRuns).toEqual([1, 2, 3, 4, 5].map((h) => iso(created + h * 3_600_000)));

    const start = aDayAhead();
    const fromStart = await create(key, { intervalMs: 20_000, startsAt: iso(start) });
    expect(fromStart.nextRuns).toEqual([0, 20, 40, 60, 80].map((s) => iso(start + s * SECOND)));
    await fireEveryShard(start);
    expect((await scheduledJobs(key, fromStart.id)).map((j) => j.runAt)).toEqual([0, 20, 40, 60].map((s) => iso(start + s * SECOND)));
    expect(await read(key, fromStart.id)).toMatchObject({ nextRunAt: iso(start + 80 * SECOND) });
  });

  it("ends a schedule at endsAt", async () => {
    const { key } = await newTenant();
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/10 * * * * *", startsAt: iso(start), endsAt: iso(start + 25 * SECOND) });
    expect(schedule.nextRuns).toEqual([0, 10, 20].map((s) => iso(start + s * SECOND)));

    await fireEveryShard(start);
    expect((await scheduledJobs(key, schedule.id)).map((j) => j.runAt)).toEqual(schedule.nextRuns);
    expect(await read(key, schedule.id)).toMatchObject({ enabled: true, nextRunAt: null, nextRuns: [], lastRunAt: iso(start + 20 * SECOND) });
    await fireEveryShard(start + MINUTE);
    expect(await scheduledJobs(key, schedule.id)).toHaveLength(3);
  });
});

describe("firing", () => {
  it("fires each instant exactly once, however often and concurrently the tick runs", async () => {
    const { key } = await newTenant();
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/10 * * * * *", startsAt: iso(start), job: { ...quick, tags: ["report"] } });
    const stale = (await fromEveryShard((db) => db.select().from(schedules).where(eq(schedules.id, schedule.id))))[0]!;

    await Promise.all([fireEveryShard(start), fireEveryShard(start)]);
    const instants = [0, 10, 20, 30, 40, 50, 60, 70].map((s) => start + s * SECOND);
    const jobs = await scheduledJobs(key, schedule.id);
    expect(jobs.map((j) => j.runAt)).toEqual(instants.map(iso));
    expect(jobs.map((j) => j.idempotencyKey)).toEqual(instants.map((at) => `schedule:${schedule.id}:${at}`));
    expect(jobs[0]).toMatchObject({ type: "simulate", input: { steps: 1, stepMs: 0 }, status: "queued", tags: ["report", `schedule:${schedule.id}`] });
    const runs = await runRows(schedule.id);
    expect(runs.map((r) => [r.instant, r.trigger, r.jobId])).toEqual(jobs.map((j, i) => [instants[i], "schedule", j.id]));

    // A late tick that read the schedule before the others advanced it finds the same jobs.
    expect(await fireSchedule(envOf(stale.tenant), stale, start)).toBe(0);
    await fireEveryShard(start + 5 * SECOND);
    expect(await scheduledJobs(key, schedule.id)).toEqual(jobs);
    expect(await runRows(schedule.id)).toEqual(runs);

    await fireEveryShard(start + 20 * SECOND);
    const later = await scheduledJobs(key, schedule.id);
    expect(later.map((j) => j.runAt)).toEqual([...instants, start + 80 * SECOND, start + 90 * SECOND].map(iso));
    expect(later.every((j) => j.status === "queued")).toBe(true);
    expect(await runRows(schedule.id)).toHaveLength(10);
  });

  it("skips missed instants, or catches up on the latest catchUpLimit of them", async () => {
    const { key } = await newTenant();
    const minute = aDayAhead();
    const startsAt = iso(minute - 2 * 3_600_000);
    const skip = await create(key, { cron: "* * * * *", startsAt });
    const catchUp = await create(key, { cron: "* * * * *", startsAt, misfire: "catch_up", catchUpLimit: 3 });
    // The platform was down for an hour: both should have run every minute since.
    for (const s of [skip, catchUp]) await setRow(s.id, { nextRunAt: minute - 3_600_000 });
    const now = minute + 30 * SECOND;

    await fireEveryShard(now);
    const due = [-1, 0, 1].map((m) => minute + m * MINUTE);
    const skipped = await runRows(skip.id);
    expect(skipped.map((r) => [r.instant, r.trigger])).toEqual(due.map((at) => [at, "schedule"]));
    expect((await scheduledJobs(key, skip.id)).map((j) => j.runAt)).toEqual(due.map(iso));

    const caughtUp = await runRows(catchUp.id);
    const missed = [-4, -3, -2].map((m) => minute + m * MINUTE);
    expect(caughtUp.map((r) => [r.instant, r.trigger])).toEqual([...missed.map((at) => [at, "catch_up"]), ...due.map((at) => [at, "schedule"])]);
    // Caught-up instants run now; the others on their instant.
    const runAtByKey = Object.fromEntries((await scheduledJobs(key, catchUp.id)).map((j) => [j.idempotencyKey, j.runAt]));
    expect(runAtByKey).toEqual(
      Object.fromEntries([...missed.map((at) => [at, now]), ...due.map((at) => [at, at])].map(([at, runAt]) => [`schedule:${catchUp.id}:${at}`, iso(runAt!)])),
    );
    for (const s of [skip, catchUp]) expect(await read(key, s.id)).toMatchObject({ nextRunAt: iso(minute + 2 * MINUTE) });
  });

  it("the Cron Trigger fires due schedules through the worker's scheduled handler, and their jobs run", async () => {
    const { key } = await newTenant();
    const schedule = await create(key, { intervalMs: 3_600_000, startsAt: iso(aDayAhead()) });
    const instant = Math.floor(Date.now() / SECOND) * SECOND - SECOND;
    await setRow(schedule.id, { startsAt: instant, nextRunAt: instant });

    await handler.scheduled!(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
    const [job] = await scheduledJobs(key, schedule.id);
    expect(job).toMatchObject({ runAt: iso(instant), idempotencyKey: `schedule:${schedule.id}:${instant}` });
    expect(await waitForStatus(key, job!.id, ["completed", "failed"])).toMatchObject({ status: "completed", result: { steps: 1 } });
    expect(await read(key, schedule.id)).toMatchObject({ nextRunAt: iso(instant + 3_600_000), lastRunAt: iso(instant) });
  });
});

describe("pausing, changing, deleting and triggering", () => {
  async function plannedSchedule(key: string) {
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/10 * * * * *", startsAt: iso(start) });
    await fireEveryShard(start - 5 * SECOND);
    const planned = await scheduledJobs(key, schedule.id);
    expect(planned.map((j) => j.runAt)).toEqual([0, 10, 20, 30, 40, 50, 60].map((s) => iso(start + s * SECOND)));
    return { schedule, start, planned };
  }

  it("pausing cancels the planned jobs; resuming plans again from now", async () => {
    const { key } = await newTenant();
    const { schedule, start, planned } = await plannedSchedule(key);

    const paused = await json<Schedule>(await api(`/schedules/${schedule.id}/pause`, { key, method: "POST" }), 200);
    expect(paused).toMatchObject({ enabled: false, nextRunAt: null, nextRuns: [] });
    expect((await scheduledJobs(key, schedule.id)).map((j) => j.status)).toEqual(planned.map(() => "cancelled"));
    expect(await runRows(schedule.id)).toEqual([]);
    expect(await json(await api(`/schedules/${schedule.id}/pause`, { key, method: "POST" }), 200)).toEqual({ ...paused, nextRuns: [] });
    await fireEveryShard(start - 5 * SECOND);
    expect(await scheduledJobs(key, schedule.id)).toHaveLength(planned.length);

    const resumed = await json<Schedule>(await api(`/schedules/${schedule.id}/resume`, { key, method: "POST" }), 200);
    expect(resumed).toMatchObject({ enabled: true, nextRunAt: iso(start), nextRuns: schedule.nextRuns });
    await fireEveryShard(start - 5 * SECOND);
    const after = await scheduledJobs(key, schedule.id);
    const queued = after.filter((j) => j.status === "queued");
    // The instants get fresh jobs under the same idempotency keys the cancelled ones gave up.
    expect(queued.map((j) => j.runAt)).toEqual(planned.map((j) => j.runAt));
    expect(queued.map((j) => j.idempotencyKey)).toEqual(planned.map((j) => j.idempotencyKey));
    expect(after.filter((j) => j.status === "cancelled").map((j) => j.idempotencyKey)).toEqual(planned.map(() => null));
    expect((await runRows(schedule.id)).map((r) => r.jobId)).toEqual(queued.map((j) => j.id));
  });

  it("resuming does not catch up on the time the schedule was paused", async () => {
    const { key } = await newTenant();
    const schedule = await create(key, { cron: "* * * * *", misfire: "catch_up", startsAt: iso(Date.now() - DAY) });
    await api(`/schedules/${schedule.id}/pause`, { key, method: "POST" });
    const resumedAt = Date.now();
    const resumed = await json<Schedule>(await api(`/schedules/${schedule.id}/resume`, { key, method: "POST" }), 200);
    expect(Date.parse(resumed.nextRuns[0]!)).toBeGreaterThan(resumedAt);
    expect(Date.parse(resumed.nextRuns[0]!)).toBeLessThanOrEqual(resumedAt + MINUTE);
    await fireEveryShard(Date.now());
    expect((await runRows(schedule.id)).filter((r) => r.trigger === "catch_up")).toEqual([]);
  });

  it("changing the timing cancels the planned jobs and plans the new instants; a rename does not", async () => {
    const { key } = await newTenant();
    const { schedule, start, planned } = await plannedSchedule(key);

    await json(await api(`/schedules/${schedule.id}`, { key, method: "PATCH", body: { name: "renamed" } }), 200);
    expect(await scheduledJobs(key, schedule.id)).toEqual(planned);

    const changed = await json<Schedule>(await api(`/schedules/${schedule.id}`, { key, method: "PATCH", body: { cron: "*/30 * * * * *" } }), 200);
    expect(changed.nextRuns.slice(0, 3)).toEqual([0, 30, 60].map((s) => iso(start + s * SECOND)));
    expect((await scheduledJobs(key, schedule.id)).every((j) => j.status === "cancelled")).toBe(true);
    await fireEveryShard(start - 5 * SECOND);
    const queued = (await scheduledJobs(key, schedule.id)).filter((j) => j.status === "queued");
    expect(queued.map((j) => j.runAt)).toEqual([0, 30, 60].map((s) => iso(start + s * SECOND)));
  });

  it("a tick that read the schedule before a change cancels the jobs it added", async () => {
    const { key } = await newTenant();
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/10 * * * * *", startsAt: iso(start) });
    const stale = (await fromEveryShard((db) => db.select().from(schedules).where(eq(schedules.id, schedule.id))))[0]!;
    await json(await api(`/schedules/${schedule.id}`, { key, method: "PATCH", body: { cron: "*/30 * * * * *" } }), 200);

    expect(await fireSchedule(envOf(stale.tenant), stale, start - 5 * SECOND)).toBe(7);
    const stray = await scheduledJobs(key, schedule.id);
    expect(stray.map((j) => [j.status, j.idempotencyKey])).toEqual(stray.map(() => ["cancelled", null]));
    expect(await runRows(schedule.id)).toEqual([]);
    await fireEveryShard(start - 5 * SECOND);
    const queued = (await scheduledJobs(key, schedule.id)).filter((j) => j.status === "queued");
    expect(queued.map((j) => j.runAt)).toEqual([0, 30, 60].map((s) => iso(start + s * SECOND)));
  });

  it("records runs without a job when the job type no longer accepts the schedule's job", async () => {
    const { key } = await newTenant();
    const start = aDayAhead();
    const schedule = await create(key, { cron: "*/30 * * * * *", startsAt: iso(start) });
    await setRow(schedule.id, { job: JSON.stringify({ type: "retired.type", input: {}, priority: "normal", tags: [] }) });
    await fireEveryShard(start);
    const runs = await json(await api(`/schedules/${schedule.id}/runs`, { key }), 200);
    expect(runs.items.map((r: { instant: string; jobId: string | null; jobStatus: string | null }) => [r.instant, r.jobId, r.jobStatus])).toEqual(
      [60, 30, 0].map((s) => [iso(start + s * SECOND), null, null]),
    );
    expect(runs.items.map((r: { skippedReason: string | null }) => r.skippedReason)).toEqual([0, 1, 2].map(() => 'invalid_job: job.type: unknown job type "retired.type"'));
    expect(await read(key, schedule.id)).toMatchObject({ nextRunAt: iso(start + 90 * SECOND) });
    const refused = await json(await api(`/schedules/${schedule.id}/trigger`, { key, method: "POST" }), 422);
    expect(refused.error).toMatchObject({ code: "invalid_job", details: [{ path: "job.type", message: 'unknown job type "retired.type"' }] });
  });

  it("deleting cancels the planned jobs and forgets the runs", async () => {
    const { key } = await newTenant();
    const { schedule, start, planned } = await plannedSchedule(key);
    expect((await api(`/schedules/${schedule.id}`, { key, method: "DELETE" })).status).toBe(204);
    expect((await scheduledJobs(key, schedule.id)).map((j) => [j.id, j.status])).toEqual(planned.map((j) => [j.id, "cancelled"]));
    expect(await runRows(schedule.id)).toEqual([]);
    await fireEveryShard(start + 5 * SECOND);
    expect(await scheduledJobs(key, schedule.id)).toHaveLength(planned.length);
  });

  it("triggers a run now, even when paused, and lists the history newest first", async () => {
    const { key } = await newTenant();
    const { schedule, start } = await plannedSchedule(key);
    await api(`/schedules/${schedule.id}/pause`, { key, method: "POST" });

    const before = Date.now();
    const res = await api(`/schedules/${schedule.id}/trigger`, { key, method: "POST" });
    const job = await json<Job>(res, 202);
    expect(res.headers.get("location")).toBe(`/api/v1/jobs/${job.id}`);
    expect(job).toMatchObject({ type: "simulate", tags: [`schedule:${schedule.id}`] });
    expect(Date.parse(job.runAt)).toBeGreaterThanOrEqual(before);
    await waitForStatus(key, job.id, ["completed"]);
    await api(`/schedules/${schedule.id}/resume`, { key, method: "POST" });
    await fireEveryShard(start - 5 * SECOND);
    expect(await read(key, schedule.id)).toMatchObject({ lastRunAt: iso(start + 60 * SECOND) });

    const first = await json(await api(`/schedules/${schedule.id}/runs?limit=5`, { key }), 200);
    expect(first.items).toHaveLength(5);
    expect(first.items[0]).toEqual({
      instant: iso(start + 60 * SECOND),
      trigger: "schedule",
      jobId: expect.any(String),
      jobStatus: "queued",
      skippedReason: null,
      createdAt: expect.any(String),
    });
    const rest = await json(await api(`/schedules/${schedule.id}/runs?limit=5&cursor=${first.nextCursor}`, { key }), 200);
    expect(rest.nextCursor).toBeNull();
    const all = [...first.items, ...rest.items];
    expect(all.map((r) => r.instant)).toEqual([...[60, 50, 40, 30, 20, 10, 0].map((s) => iso(start + s * SECOND)), job.runAt]);
    expect(all.at(-1)).toEqual({ instant: job.runAt, trigger: "manual", jobId: job.id, jobStatus: "completed", skippedReason: null, createdAt: job.runAt });
    await expectError(await api(`/schedules/${schedule.id}/runs?cursor=nope`, { key }), 400, "invalid_cursor");
  });

  it("fires a job that really runs", async () => {
    const { key } = await newTenant();
    // The first instant is two seconds out, so creating the schedule plans it.
    const startsAt = Math.ceil((Date.now() + 2 * SECOND) / SECOND) * SECOND;
    const schedule = await create(key, { intervalMs: 3_600_000, startsAt: iso(startsAt) });
    const [job] = await waitFor(() => scheduledJobs(key, schedule.id), (jobs) => jobs.length === 1);
    expect(job!.runAt).toBe(iso(startsAt));
    const done = await waitForStatus(key, job!.id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(startsAt);
  });
});
