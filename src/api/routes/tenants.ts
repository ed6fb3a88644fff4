import { createRoute, z } from "@hono/zod-openapi";
import { holdsPlatformKey } from "../../auth/principal";
import { everyDatabase } from "../../db/shards";
import { knownTenants } from "../../engine/tenants";
import { jsonContent } from "../../schemas/common";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { requireScope } from "../middleware/auth";

const TenantListSchema = z
  .object({ items: z.array(z.object({ tenant: z.string() })).describe("Sorted by name, each tenant once.") })
  .openapi("TenantList");

const listRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "listTenants",
  summary: "List every tenant with jobs or API keys, in every database (the platform's admin key only)",
  description: "A tenant key is refused with 403, whatever its scopes: tenants do not see each other.",
  tags: ["operations"],
  middleware: [requireScope("admin")] as const,
  responses: { 200: jsonContent(TenantListSchema, "The tenants") },
});

export const tenantsApi = newRouter().openapi(listRoute, async (c) => {
  // A tenant key may hold the `admin` scope too; only the platform's key speaks for every tenant
  // (from a dashboard session switched to a tenant, too).
  if (!holdsPlatformKey(c.get("principal"))) throw new ApiError(403, "forbidden", "only the platform's admin key lists tenants");
  const tenants = await knownTenants(everyDatabase(c.env).map((d) => d.db));
  return c.json({ items: tenants.map((tenant) => ({ tenant })) }, 200);
});
