import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, isNull, sql as drizzleSql } from "drizzle-orm";
import { type Database, database } from "../../db/client";
import { jobs, lanes } from "../../db/schema";
import { everyDatabase, forEveryDatabase, platformDatabase } from "../../db/shards";
import { laneCounts } from "../../stats/lanes";
import { redispatch } from "../../engine/dispatch";
import type { Priority } from "../../engine/lanes";
import { jsonContent } from "../../schemas/common";
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
  operationId: "listQueues",
  summary: "Depth per priority lane: the tenant's own jobs, or every tenant's for the platform's admin key",
  tags: ["queues"],
  middleware: [requireScope("jobs:read")] as const,
  responses: { 200: jsonContent(LanesSchema, "Lanes") },
});

const LaneParam = z.object({ lane: PrioritySchema.openapi({ param: { name: "lane", in: "path" } }) });

const pauseRoute = createRoute({
  method: "post",
  path: "/{lane}/pause",
  operationId: "pauseQueue",
  summary: "Pause a lane: it accepts jobs but starts none",
  tags: ["queues"],
  middleware: [requireScope("admin")] as const,
  request: { params: LaneParam },
  responses: { 200: jsonContent(LaneSchema.pick({ lane: true, paused: true }), "Paused") },
});

const resumeRoute = createRoute({
  method: "post",
  path: "/{lane}/resume",
  operationId: "resumeQueue",
  summary: "Resume a lane and announce the jobs parked while it was paused",
  tags: ["queues"],
  middleware: [requireScope("admin")] as const,
  request: { params: LaneParam },
  responses: { 200: jsonContent(LaneSchema.pick({ lane: true, paused: true }), "Resumed") },
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
    // The auth middleware has bound `DB` to the tenant's database.
    const databases = platform ? everyDatabase(c.env).map((d) => d.db) : [c.env.DB];
    const [counts, paused] = await Promise.all([
      laneCounts(databases, platform ? null : principal.tenant),
      // Paused as the claims of the tenant's database see it (every database holds a copy).
      database({ DB: platform ? platformDatabase(c.env) : c.env.DB }).select({ name: lanes.name, paused: lanes.paused }).from(lanes),
    ]);
    const items = counts.map((lane) => ({ ...lane, paused: paused.some((p) => p.name === lane.lane && p.paused === 1) }));
    return c.json({ scope: platform ? ("platform" as const) : ("tenant" as const), items }, 200);
  })
  .openapi(pauseRoute, async (c) => {
    assertPlatformAdmin(c.get("principal"));
    const { lane } = c.req.valid("param");
    // Every database keeps its own copy: its claims read the lane's state beside its jobs.
    await forEveryDatabase(c.env, (shardEnv) => setPaused(database(shardEnv), lane, true));
    return c.json({ lane, paused: true }, 200);
  })
  .openapi(resumeRoute, async (c) => {
    assertPlatformAdmin(c.get("principal"));
    const { lane } = c.req.valid("param");
    const now = Date.now();
    // Each database parks its own jobs of the lane and announces them from its own environment.
    await forEveryDatabase(c.env, async (shardEnv) => {
      const db = database(shardEnv);
      await setPaused(db, lane, false);
      const parked = await db
        .select({ id: jobs.id, priority: jobs.priority, runAt: jobs.runAt })
        .from(jobs)
        // The statuses are literal, as in the partial indexes' conditions, so the planner can use them.
        .where(and(drizzleSql`${jobs.status} IN ('queued', 'retrying')`, isNull(jobs.dispatchDueAt), eq(jobs.priority, lane)))
        .limit(RESUME_DISPATCH_LIMIT);
      await redispatch(shardEnv, parked, now);
    });
    return c.json({ lane, paused: false }, 200);
  });

/** Lanes are shared by every tenant: only the platform's admin key pauses or resumes them. */
function assertPlatformAdmin(principal: Principal) {
  if (principal.tenant !== ADMIN_TENANT) throw new ApiError(403, "forbidden", "lanes are paused and resumed by the platform's admin key");
}
