import { PLATFORM_BINDING, everyDatabase, onDatabase } from "../db/shards";
import { sweep } from "../engine/sweeper";
import { rollUpDatabase } from "../stats/rollup";
import { cleanUpJobs } from "../housekeeping/jobs";
import { applyReportRetention } from "../reports/retention";
import { fireDueSchedules } from "../schedules/fire";
import { maintainSearchAnalytics } from "../search-analytics/maintain";
import { Invocation } from "../usage/invocation";
import { snapshotStorage } from "../usage/storage";
import { sweepWebhooks } from "../webhooks/sweep";
import { type TickSource, takeLease } from "./lease";

export const MINUTE_MS = 60_000;

/** The whole minute after `at`: ticks fall on whole minutes, like the Cron Trigger's. */
export const nextMinute = (at: number) => (Math.floor(at / MINUTE_MS) + 1) * MINUTE_MS;

/**
 * The platform's minutely work, run by the Cron Trigger and by the Clock's alarm alike: fire the
 * schedules due before the next tick, sweep, and apply report and job retention, in every
 * database (src/db/shards.ts). `slot` is the time the tick was due; only the first tick to take a
 * slot does the work (see `takeLease`), and each task runs even if one before it failed, so a
 * broken schedule (or database) never stops the sweeper. Schedules are planned from the slot, or
 * from now when the tick runs late. Never throws. Returns whether this tick did the work. What it
 * used goes to the usage ledger as the platform's own (`_platform`), as does a tick that found the
 * slot taken. The hourly snapshot of the bytes each tenant stores is taken here too.
 */
export async function tick(env: Env, slot: number, source: TickSource): Promise<boolean> {
  const invocation = new Invocation(env, "clock_tick", { durableObject: source === "alarm" });
  try {
    return await tickMetered(invocation.env, slot, source);
  } finally {
    await invocation.record({ slot, source });
  }
}

async function tickMetered(env: Env, slot: number, source: TickSource): Promise<boolean> {
  const taken = await task("clock lease", () => takeLease(env, slot, source), () => false);
  if (!taken) return false;
  const now = Math.max(slot, Date.now());
  for (const { binding } of everyDatabase(env)) {
    const shard = onDatabase(env, binding);
    const name = (task: string) => (binding === PLATFORM_BINDING ? task : `${task} (${binding})`);
    await task(name("schedules"), () => fireDueSchedules(shard, now), (r) => r.jobs + r.failed > 0);
    await task(name("sweep"), () => sweep(shard), (r) => r.stuck + r.durable + r.redispatched > 0);
    await task(name("webhooks"), () => sweepWebhooks(shard, now), (r) => r.resent + r.pruned > 0);
    await task(name("report retention"), () => applyReportRetention(shard), (r) => r.reports > 0);
    await task(name("housekeeping"), () => cleanUpJobs(shard, { now }), (r) => r.jobs > 0);
    // On the real clock, not the slot: a watermark ahead of it would pass jobs not written yet.
    await task(name("rollups"), () => rollUpDatabase(shard.DB), (r) => r.more);
    await task(name("stored bytes"), () => snapshotStorage(shard.DB, now), () => false);
    await task(name("search analytics"), () => maintainSearchAnalytics(shard.DB, now), (r) => r.more);
  }
  return true;
}

/** Runs one task of a tick, logging its report when `worthLogging` says so, or its failure (then it answers undefined). */
async function task<T>(name: string, run: () => Promise<T>, worthLogging: (report: T) => boolean): Promise<T | undefined> {
  try {
    const report = await run();
    if (worthLogging(report)) console.log(name, report);
    return report;
  } catch (err) {
    console.error(`${name} failed; the next tick tries again`, err);
    return undefined;
  }
}
