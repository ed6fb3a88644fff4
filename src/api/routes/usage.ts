import { createRoute } from "@hono/zod-openapi";
import { ADMIN_TENANT } from "../../auth/principal";
import { databaseNamed, everyDatabase, shardOf } from "../../db/shards";
import { errorResponses, jsonContent } from "../../schemas/common";
import { MAX_USAGE_DAYS, UsageQuery, UsageSchema, usageRange } from "../../schemas/usage";
import { usageReport } from "../../usage/report";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { requireAnyScope } from "../middleware/auth";

const usageRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "getUsage",
  summary: "What the platform used for the tenant per day (jobs, D1 rows, Durable Object requests, Workflow steps, queue operations, R2 bytes) and its cost at list prices",
  description:
    "Metered as it happens: every API request, queue consumer batch, Workflow run and clock tick adds what it used (D1 rows as D1 reported them) to the tenant's day " +
    "once it has answered; a consumer batch's usage is split between its jobs' tenants. Stored bytes are the day's peak of hourly snapshots; job counts come from the clock's roll-up, " +
    `a minute or two behind. Days are UTC, \`from\` and \`to\` inclusive, at most ${MAX_USAGE_DAYS} of them. ` +
    "A key sees its own tenant's; the platform's admin key every tenant's added up (the platform's own usage, `_platform`, included), or one tenant's with `tenant`.",
  tags: ["operations"],
  middleware: [requireAnyScope(["jobs:read", "metrics:read"])] as const,
  request: { query: UsageQuery },
  responses: { 200: jsonContent(UsageSchema, "Usage per day, its total and the prices it was costed at"), ...errorResponses(400, 401, 403) },
});

export const usageApi = newRouter().openapi(usageRoute, async (c) => {
  const query = c.req.valid("query");
  const principal = c.get("principal");
  const platform = principal.tenant === ADMIN_TENANT;
  if (query.tenant !== undefined && query.tenant !== principal.tenant && !platform) {
    throw new ApiError(403, "forbidden", "only the platform admin key reads another tenant's usage");
  }
  const tenant = platform ? (query.tenant ?? null) : principal.tenant;
  // The auth middleware has bound `DB` to the caller's database; a named tenant's is found from its name.
  const databases = tenant === null ? everyDatabase(c.env).map((d) => d.db) : [databaseNamed(c.env, shardOf(c.env, tenant))];
  const { from, to } = usageRange(query);
  return c.json(await usageReport(databases, tenant, from, to), 200);
});
