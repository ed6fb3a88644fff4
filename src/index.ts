import { createApp } from "./api/app";
import { consumeBatch } from "./engine/consumer";
import { metered } from "./engine/metering";
import { sweep } from "./engine/sweeper";
import { cleanUpJobs } from "./housekeeping/jobs";
import { applyReportRetention } from "./reports/retention";
import { fireDueSchedules } from "./schedules/fire";

export { JobEvents } from "./durable/job-events";
export { DurableJobWorkflow } from "./workflows/durable-job";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (env.USAGE_LOG !== "true") return consumeBatch(batch, env);
    const { env: meteredEnv, usage } = metered(env);
    await consumeBatch(batch, meteredEnv);
    console.log(JSON.stringify({ event: "consumer_batch", queue: batch.queue, messages: batch.messages.length, usage }));
  },
  async scheduled(_controller, env) {
    // Each task runs even if one before it failed: a broken schedule must not stop the sweeper.
    await task("schedules", () => fireDueSchedules(env, Date.now()), (r) => r.jobs + r.failed > 0);
    await task("sweep", () => sweep(env), (r) => r.stuck + r.durable + r.redispatched > 0);
    await task("report retention", () => applyReportRetention(env), (r) => r.reports > 0);
    await task("housekeeping", () => cleanUpJobs(env), (r) => r.jobs > 0);
  },
} satisfies ExportedHandler<Env>;

/** Runs one of the Cron Trigger's tasks, logging its report when `worthLogging` says so, or its failure. */
async function task<T>(name: string, run: () => Promise<T>, worthLogging: (report: T) => boolean) {
  try {
    const report = await run();
    if (worthLogging(report)) console.log(name, report);
  } catch (err) {
    console.error(`${name} failed; the next run tries again`, err);
  }
}
