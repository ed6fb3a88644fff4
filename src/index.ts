import { createApp } from "./api/app";
import { tick } from "./clock/tick";
import { consumeBatch } from "./engine/consumer";
import { metered } from "./engine/metering";

export { Clock } from "./durable/clock";
export { JobEvents } from "./durable/job-events";
export { TenantFeed } from "./durable/tenant-feed";
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
  async scheduled(controller, env) {
    await tick(env, controller.scheduledTime, "cron");
  },
} satisfies ExportedHandler<Env>;
