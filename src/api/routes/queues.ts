import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, isNull, sql as drizzleSql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { jobs, lanes } from "../../db/schema";
import { rawSql } from "../../db/raw";
import { redispatch } from "../../engine/dispatch";
import { PRIORITIES, type Priority } from "../../engine/lanes";
import { errorResponses, jsonContent } from "../../schemas/common";
import { PrioritySchema } from "../../schemas/job";
import { ADMIN_TENANT, type Principal } from "../../auth/principal";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { requireScope } from "../middleware/auth";

const LaneSchema = z
  .object({
    lane: PrioritySchema,
    paused: z.boolean(),
    depth: z.number().int().describe("queued or retrying, due now"),
    scheduled: z.number().int().describe("queued or retrying, due later"),
    inFlight: z.number().int().describe("running"),
  })
  .openapi("Lane");

const LanesSchema = z
  .object({ scope: z.enum(["tenant", "platform"]), items: z.array(LaneSchema) })
  .openapi("LaneList");

const listRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Depth per priority lane: the tenant's own jobs, or every tenant's for the platform's admin key",
  tags: ["queues"],
  middleware: [requireScope("jobs:read")] as const,
  responses: { 200: jsonContent(LanesSchema, "Lanes"), ...errorResponses(401, 403) },
});

const LaneParam = z.object({ lane: PrioritySchema.openapi({ param: { name: "lane", in: "path" } }) });

const pauseRoute = createRoute({
  method: "post",
  path: "/{lane}/pause",
  summary: "Pause a lane: it accepts jobs but starts none",
  tags: ["queues"],
  middleware: [requireScope("admin")] as const,
  request: { params: LaneParam },
  responses: { 200: jsonContent(LaneSchema.pick({ lane: true, paused: true }), "Paused"), ...errorResponses(400, 401, 403) },
});

const resumeRoute = createRoute({
  method: "post",
  path: "/{lane}/resume",
  summary: "Resume a lane and announce the jobs parked while it was paused",
  tags: ["queues"],
  middleware: [requireScope("admin")] as const,
  request: { params: LaneParam },
  responses: { 200: jsonContent(LaneSchema.pick({ lane: true, paused: true }), "Resumed"), ...errorResponses(400, 401, 403) },
});

const RESUME_DISPATCH_LIMIT = 5_000;

async function setPaused(db: Database, lane: Priority, paused: boolean) {
  const now = Date.now();
  await db
    .insert(lanes)
    .values({ name: lane, paused: paused ? 1 : 0, updatedAt: now })
    .onConflictDoUpdate({ target: lanes.name, set: { paused: paused ? 1 : 0, updatedAt: now } });
}

export const queuesApi = newRouter()
  .openapi(listRoute, async (c) => {
    const principal = c.get("principal");
    // A tenant's admin key sees its own tenant, like every other key: other tenants' load is theirs.
    const platform = principal.tenant === ADMIN_TENANT;
    const now = Date.now();
    const sql = rawSql(c.env.DB);
    const [countResult, lanesResult] = await c.env.DB.batch([
      sql`
        SELECT priority AS lane, status, sum(run_at <= ${now}) AS due, sum(run_at > ${now}) AS later
        FROM jobs WHERE status IN ('queued', 'retrying', 'running') AND (${platform ? 1 : 0} = 1 OR tenant = ${principal.tenant})
        GROUP BY priority, status`,
      sql`SELECT name, paused FROM lanes`,
    ]);
    const counts = (countResult?.results ?? []) as { lane: Priority; status: string; due: number; later: number }[];
    const paused = (lanesResult?.results ?? []) as { name: string; paused: number }[];
    const items = PRIORITIES.map((lane) => {
      const rows = counts.filter((r) => r.lane === lane);
      const waiting = rows.filter((r) => r.status !== "running");
      return {
        lane,
        paused: paused.some((p) => p.name === lane && p.paused === 1),
        depth: waiting.reduce((n, r) => n + Number(r.due), 0),
        scheduled: waiting.reduce((n, r) => n + Number(r.later), 0),
        inFlight: rows.filter((r) => r.status === "running").reduce((n, r) => n + Number(r.due) + Number(r.later), 0),
      };
    });
    return c.json({ scope: platform ? ("platform" as const) : ("tenant" as const), items }, 200);
  })
  .openapi(pauseRoute, async (c) => {
    assertPlatformAdmin(c.get("principal"));
    const { lane } = c.req.valid("param");
    await setPaused(c.get("db"), lane, true);
    return c.json({ lane, paused: true }, 200);
  })
  .openapi(resumeRoute, async (c) => {
    assertPlatformAdmin(c.get("principal"));
    const { lane } = c.req.valid("param");
    const db = c.get("db");
    await setPaused(db, lane, false);
    const now = Date.now();
    const parked = await db
      .select({ id: jobs.id, priority: jobs.priority, runAt: jobs.runAt })
      .from(jobs)
      // The statuses are literal, as in the partial indexes' conditions, so the planner can use them.
      .where(and(drizzleSql`${jobs.status} IN ('queued', 'retrying')`, isNull(jobs.dispatchDueAt), eq(jobs.priority, lane)))
      .limit(RESUME_DISPATCH_LIMIT);
    await redispatch(c.env, parked, now);
    return c.json({ lane, paused: false }, 200);
  });

/** Lanes are shared by every tenant: only the platform's admin key pauses or resumes them. */
function assertPlatformAdmin(principal: Principal) {
  if (principal.tenant !== ADMIN_TENANT) throw new ApiError(403, "forbidden", "lanes are paused and resumed by the platform's admin key");
}
