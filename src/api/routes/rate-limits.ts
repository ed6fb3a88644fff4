import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { rateLimitRules } from "../../db/schema";
import { REFRESH_ACTION, defaultRule } from "../../engine/rate-limits";
import { jobDefinitions } from "../../jobs/index";
import { tenantJobTypes } from "../../jobs/tenant-types";
import { errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import { RateLimitRuleInput } from "../../schemas/rate-limit";
import { newRouter } from "../context";
import { ApiError, notFound } from "../errors";
import { requireScope } from "../middleware/auth";

const RuleBody = RateLimitRuleInput;

// Its own object, not `RuleBody.extend`: that renders as `allOf` with the strict input, whose
// `additionalProperties: false` would refuse `action` and `source`.
const RuleSchema = z.object({
  ...RuleBody.shape,
  action: z.string().describe("A job type, or `refresh` for POST /refresh/{resource}."),
  source: z.enum(["default", "tenant"]).describe("`default`: the job type's own rule; `tenant`: set through this API."),
}).openapi("RateLimitRule");

const ActionParam = z.object({ action: z.string().min(1).max(100).openapi({ param: { name: "action", in: "path" } }) });

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listRateLimits",
  summary: "The rate limits in force for the tenant: job types' defaults and the tenant's own rules",
  tags: ["rate limits"],
  middleware: [requireScope("jobs:read")] as const,
  responses: { 200: jsonContent(z.object({ items: z.array(RuleSchema) }), "Rules") },
});

const putRouteDef = createRoute({
  method: "put",
  path: "/{action}",
  operationId: "setRateLimit",
  summary: "Set the tenant's rate limit for an action (overrides the job type's default)",
  tags: ["rate limits"],
  middleware: [requireScope("admin")] as const,
  request: { params: ActionParam, ...jsonBody(RuleBody) },
  responses: { 200: jsonContent(RuleSchema, "The rule in force"), ...errorResponses(422) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{action}",
  operationId: "deleteRateLimit",
  summary: "Remove the tenant's own rule (the job type's default applies again)",
  tags: ["rate limits"],
  middleware: [requireScope("admin")] as const,
  request: { params: ActionParam },
  responses: { 204: { description: "Removed" }, ...errorResponses(404) },
});

const actions = () => [...jobDefinitions.map((d) => d.type), REFRESH_ACTION];

export const rateLimitsApi = newRouter()
  .openapi(listRouteDef, async (c) => {
    const tenant = c.get("principal").tenant;
    const own = await c.get("db").select().from(rateLimitRules).where(eq(rateLimitRules.tenant, tenant)).all();
    const ownByAction = new Map(own.map((r) => [r.action, r]));
    const items = actions().flatMap((action): z.infer<typeof RuleSchema>[] => {
      const mine = ownByAction.get(action);
      if (mine) return [{ action, limit: mine.limit, windowMs: mine.windowMs, mode: mine.mode, source: "tenant" }];
      const rule = defaultRule(action);
      return rule ? [{ action, ...rule, source: "default" }] : [];
    });
    // The tenant's handler types: their rules are the tenant's own (set with the handler, or here).
    const handlerRules = own.filter((r) => !actions().includes(r.action))
      .map((r) => ({ action: r.action, limit: r.limit, windowMs: r.windowMs, mode: r.mode, source: "tenant" as const }));
    return c.json({ items: [...items, ...handlerRules] }, 200);
  })
  .openapi(putRouteDef, async (c) => {
    const { action } = c.req.valid("param");
    const known = actions().includes(action) || (await tenantJobTypes(c.env, c.get("principal").tenant, [action]))(action) !== undefined;
    if (!known) {
      throw new ApiError(422, "unknown_action", `no job type "${action}" (actions: job types, your handler types and "${REFRESH_ACTION}")`);
    }
    const rule = c.req.valid("json");
    const row = { tenant: c.get("principal").tenant, action, ...rule, updatedAt: Date.now() };
    await c.get("db").insert(rateLimitRules).values(row)
      .onConflictDoUpdate({ target: [rateLimitRules.tenant, rateLimitRules.action], set: { ...rule, updatedAt: row.updatedAt } });
    return c.json({ action, ...rule, source: "tenant" as const }, 200);
  })
  .openapi(deleteRouteDef, async (c) => {
    const { action } = c.req.valid("param");
    const tenant = c.get("principal").tenant;
    const deleted = await c.get("db").delete(rateLimitRules)
      .where(and(eq(rateLimitRules.tenant, tenant), eq(rateLimitRules.action, action))).returning();
    if (deleted.length === 0) throw notFound(`a rate limit of your own for ${action}`);
    return c.body(null, 204);
  });
