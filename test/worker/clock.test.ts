import { createExecutionContext, createScheduledController, runDurableObjectAlarm } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { clock, scheduleRuns, schedules } from "../../src/db/schema";
import type { Job } from "../../src/schemas/job";
import type { Schedule } from "../../src/schemas/schedule";
import { listJobs } from "./api-helpers";
import { handler } from "./engine-helpers";
import { api, env, fromEveryShard, json, newTenant, onEveryShard, tenantBeside } from "./helpers";

// The clock's state is platform-wide, in the platform's database (DB).
const db = database(env);
const SECOND = 1_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const quick = { type: "simulate", input: { steps: 1, stepMs: 0 } };
const every10s = (from: number, to: number) => Array.from({ length: Math.floor((to - from) / 10_000) + 1 }, (_, i) => from + i * 10_000);

const theClock = () => env.CLOCK.getByName("clock");
/** When the clock's alarm fires next (arming it, should it not be armed). */
const nextAlarm = () => theClock().arm();

const cronTick = (scheduledTime: number) =>
  handler.scheduled!(createScheduledController({ scheduledTime, cron: "* * * * *" }), env, createExecutionContext());

async function create(key: string, body: Record<string, unknown>): Promise<Schedule> {
  return json<Schedule>(await api("/schedules", { key, body: { name: crypto.randomUUID(), job: quick, ...body } }), 201);
}

async function plannedInstants(key: string, id: string): Promise<number[]> {
  const page = await listJobs(key, `tag=${encodeURIComponent(`schedule:${id}`)}&limit=200`);
  expect(page.nextCursor).toBeNull();
  return page.items.map((j: Job) => Date.parse(j.runAt)).sort((a, b) => a - b);
}

async function runInstants(id: string): Promise<number[]> {
  const rows = await fromEveryShard((db) => db.select().from(scheduleRuns).where(eq(scheduleRuns.scheduleId, id)));
  return rows.map((r) => r.instant).sort((a, b) => a - b);
}

// A tick fires every due schedule in the file's storage: each test starts with none enabled.
afterEach(async () => {
  await onEveryShard((db) => db.update(schedules).set({ enabled: 0 }).run());
});

describe("the clock", () => {
  it("saving a schedule arms the clock, and its alarm keeps the schedule firing minute after minute", async () => {
    const { key } = await newTenant();
    const schedule = await create(key, { cron: "*/10 * * * * *" });
    const first = await nextAlarm();
    expect(first % MINUTE).toBe(0);
    expect(first).toBeGreaterThan(Date.now() - MINUTE);
    expect(first).toBeLessThanOrEqual(Date.now() + MINUTE);
    const firstInstant = (await plannedInstants(key, schedule.id))[0]!;

    // Each alarm is the next minute's tick, and arms the one after it before doing its work.
    for (let minute = 0; minute < 3; minute++) {
      expect(await runDurableObjectAlarm(theClock())).toBe(true);
      expect(await nextAlarm()).toBe(first + (minute + 1) * MINUTE);
      expect(await db.select().from(clock).get()).toMatchObject({ slot: first + minute * MINUTE, source: "alarm" });
    }
    // The last tick (first + 2 min) planned up to 70 s ahead: every instant since creation, once.
    const expected = every10s(firstInstant, first + 2 * MINUTE + 70 * SECOND);
    expect(await plannedInstants(key, schedule.id)).toEqual(expected);
    expect(await runInstants(schedule.id)).toEqual(expected);
  });

  it("a Cron Trigger and the alarm ticking the same minute together plan each instant once", async () => {
    const { key } = await newTenant();
    const slot = await nextAlarm();
    const schedule = await create(key, { cron: "*/10 * * * * *", startsAt: new Date(slot).toISOString() });

    await Promise.all([cronTick(slot), runDurableObjectAlarm(theClock()), cronTick(slot)]);
    const expected = every10s(slot, slot + 70 * SECOND);
    expect(await plannedInstants(key, schedule.id)).toEqual(expected);
    expect(await runInstants(schedule.id)).toEqual(expected);
    // One of the three took the minute; the alarm armed the next one all the same.
    expect((await db.select().from(clock).get())!.slot).toBe(slot);
    expect(await nextAlarm()).toBe(slot + MINUTE);

    // A Cron Trigger arriving late, for a minute before the one ticked, does not take the clock back.
    await cronTick(slot - MINUTE);
    expect((await db.select().from(clock).get())!.slot).toBe(slot);
  });
});

describe("fairness between tenants", () => {
  it("a tenant with 200 schedules due at one instant does not push another tenant's schedule out of the tick", async () => {
    const busy = await newTenant();
    // On the same D1 shard: each shard's tick plans its own tenants' schedules, 100 at most.
    const quiet = await tenantBeside(busy.tenant);
    const start = Math.ceil((Date.now() + DAY) / MINUTE) * MINUTE;
    const due = { intervalMs: 3_600_000, startsAt: new Date(start).toISOString() };
    for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, () => create(busy.key, due)));
    // Created last, so without fairness it would come last among equally due schedules.
    const quietSchedule = await create(quiet.key, due);

    await cronTick(start - 30 * SECOND);
    expect(await runInstants(quietSchedule.id)).toEqual([start]);
    const busyRuns = () => fromEveryShard((db) => db.select().from(scheduleRuns).where(eq(scheduleRuns.tenant, busy.tenant)));
    // A tick stays bounded (100 schedules): the busy tenant's other 101 wait for the next tick.
    expect(await busyRuns()).toHaveLength(99);
    await cronTick(start - 20 * SECOND);
    expect(await busyRuns()).toHaveLength(199);
  });
});
