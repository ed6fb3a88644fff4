import { createApp } from "./api/app";
import { tick } from "./clock/tick";
import { consumeMetered, deliverWebhooksMetered } from "./usage/consumer";
import { WEBHOOK_QUEUE } from "./webhooks/deliver";
import type { DeliveryMessage } from "./webhooks/events";

export { Clock } from "./durable/clock";
export { JobEvents } from "./durable/job-events";
export { TenantFeed } from "./durable/tenant-feed";
export { DurableJobWorkflow } from "./workflows/durable-job";

const app = createApp();

export default {
  fetch: app.fetch,
  queue(batch, env, ctx) {
    if (batch.queue === WEBHOOK_QUEUE) return deliverWebhooksMetered(batch as MessageBatch<DeliveryMessage>, env, ctx);
    return consumeMetered(batch, env, ctx);
  },
  async scheduled(controller, env) {
    await tick(env, controller.scheduledTime, "cron");
  },
} satisfies ExportedHandler<Env>;
