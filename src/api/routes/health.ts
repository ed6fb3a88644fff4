import { createRoute, z } from "@hono/zod-openapi";
import { everyDatabase } from "../../db/shards";
import { configurationProblem } from "../../auth/configuration";
import { countStuck } from "../../engine/sweeper";
import { jsonContent } from "../../schemas/common";
import { newRouter } from "../context";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded", "not_configured"]),
    configuration: z.object({ ok: z.boolean(), problem: z.string().optional() }),
    d1: z.object({ ok: z.boolean(), latencyMs: z.number().nullable(), error: z.string().optional() }),
    stuckJobs: z.number().int().nullable().describe("running jobs with no heartbeat past their timeout"),
    checkedAt: z.string(),
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "getHealth",
  summary: "Liveness: D1 reachable, and how many jobs are stuck (no auth)",
  tags: ["operations"],
  security: [],
  responses: {
    200: jsonContent(HealthSchema, "Healthy"),
    503: jsonContent(HealthSchema, "D1 is unreachable, or the platform is not configured to serve (e.g. example secrets in production)"),
  },
});

export const healthApi = newRouter().openapi(healthRoute, async (c) => {
  const started = Date.now();
  const problem = configurationProblem(c.env);
  const configuration = problem ? { ok: false, problem } : { ok: true };
  try {
    // Every database, side by side: the check answers for the whole platform.
    const counts = await Promise.all(everyDatabase(c.env).map(({ db }) => countStuck(db, started)));
    const body = {
      status: "ok" as const,
      configuration,
      d1: { ok: true, latencyMs: Date.now() - started },
      stuckJobs: counts.reduce((n, count) => n + count, 0),
      checkedAt: new Date().toISOString(),
    };
    if (problem) return c.json({ ...body, status: "not_configured" as const }, 503);
    return c.json(body.stuckJobs > 0 ? { ...body, status: "degraded" as const } : body, 200);
  } catch (err) {
    const body = {
      status: "degraded" as const,
      configuration,
      d1: { ok: false, latencyMs: null, error: String(err) },
      stuckJobs: null,
      checkedAt: new Date().toISOString(),
    };
    return c.json(body, 503);
  }
});
