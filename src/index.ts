import { createApp } from "./api/app";
import { consumeBatch } from "./engine/consumer";
import { metered } from "./engine/metering";
import { sweep } from "./engine/sweeper";
import { applyReportRetention } from "./reports/retention";

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
    const report = await sweep(env);
    if (report.stuck + report.durable + report.redispatched > 0) console.log("sweep", report);
    const retention = await applyReportRetention(env);
    if (retention.reports > 0) console.log("report retention", retention);
  },
} satisfies ExportedHandler<Env>;
