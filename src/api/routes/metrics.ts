import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_TENANT } from "../../auth/principal";
import { everyDatabase } from "../../db/shards";
import { metricFamilies } from "../../stats/metrics";
import { DURATION_BUCKETS } from "../../stats/totals";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";
import { EXPOSITION_CONTENT_TYPE, exposition } from "../../stats/exposition";

const metricsRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "getMetrics",
  summary: "Job counters, run-time histogram and queue gauges in the Prometheus text format, for scraping",
  description:
    "Counters (`edge_jobs_jobs_{submitted,completed,failed,retried}_total`) and the `edge_jobs_job_duration_seconds` histogram " +
    `(buckets ${DURATION_BUCKETS.map((b) => b.le).join(", ")}, +Inf s) come from totals the clock rolls up every minute, so they trail by a minute or two ` +
    "and never go down, not even when retention deletes jobs; they count from the deploy that added them. " +
    "Gauges (`edge_jobs_queue_depth`, `edge_jobs_jobs_running`, `edge_jobs_oldest_queued_job_age_seconds` per tenant and lane, " +
    "`edge_jobs_dead_letters` per tenant) are current. The key's tenant's series, or every tenant's for the platform's admin key.",
  tags: ["operations"],
  middleware: [requireScope("metrics:read")] as const,
  responses: {
    200: { content: { [EXPOSITION_CONTENT_TYPE]: { schema: z.string() } }, description: "The Prometheus text exposition format, version 0.0.4" },
  },
});

export const metricsApi = newRouter().openapi(metricsRoute, async (c) => {
  const principal = c.get("principal");
  const platform = principal.tenant === ADMIN_TENANT;
  // The auth middleware has bound `DB` to the tenant's database.
  const databases = platform ? everyDatabase(c.env).map((d) => d.db) : [c.env.DB];
  const families = await metricFamilies(databases, platform ? null : principal.tenant);
  return c.text(exposition(families), 200, { "Content-Type": EXPOSITION_CONTENT_TYPE, "Cache-Control": "no-store" });
});
