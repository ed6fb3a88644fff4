import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { STUCK_GRACE_MS } from "../../engine/sweeper";
import { TENANTS_WITH_JOBS } from "../../engine/tenants";
import { jsonContent } from "../../schemas/common";
import { newRouter } from "../context";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    d1: z.object({ ok: z.boolean(), latencyMs: z.number().nullable(), error: z.string().optional() }),
    stuckJobs: z.number().int().nullable().describe("running jobs with no heartbeat past their timeout"),
    checkedAt: z.string(),
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Liveness: D1 reachable, and how many jobs are stuck (no auth)",
  tags: ["operations"],
  responses: {
    200: jsonContent(HealthSchema, "Healthy"),
    503: jsonContent(HealthSchema, "D1 is unreachable"),
  },
});

export const healthApi = newRouter().openapi(healthRoute, async (c) => {
  const started = Date.now();
  try {
    const row = await c.get("db").get<{ stuck: number }>(sql`
      ${sql.raw(TENANTS_WITH_JOBS)} SELECT count(*) AS stuck FROM tenants JOIN jobs ON jobs.tenant = tenants.tenant AND jobs.status = 'running'
      WHERE jobs.heartbeat_at < ${started} - jobs.timeout_ms - ${STUCK_GRACE_MS}`);
    const body = {
      status: "ok" as const,
      d1: { ok: true, latencyMs: Date.now() - started },
      stuckJobs: Number(row?.stuck ?? 0),
      checkedAt: new Date().toISOString(),
    };
    return c.json(body.stuckJobs > 0 ? { ...body, status: "degraded" as const } : body, 200);
  } catch (err) {
    const body = {
      status: "degraded" as const,
      d1: { ok: false, latencyMs: null, error: String(err) },
      stuckJobs: null,
      checkedAt: new Date().toISOString(),
    };
    return c.json(body, 503);
  }
});
