import { createApp } from "./api/app";
import { consumeBatch } from "./engine/consumer";
import { sweep } from "./engine/sweeper";

export { JobEvents } from "./durable/job-events";
export { DurableJobWorkflow } from "./workflows/durable-job";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    await consumeBatch(batch, env);
  },
  async scheduled(_controller, env) {
    const report = await sweep(env);
    if (report.stuck + report.durable + report.redispatched > 0) console.log("sweep", report);
  },
} satisfies ExportedHandler<Env>;
