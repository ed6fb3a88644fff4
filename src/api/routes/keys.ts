import { createRoute } from "@hono/zod-openapi";
import { type SQL, and, desc, eq, isNull } from "drizzle-orm";
import { type Database, database } from "../../db/client";
import { apiKeys } from "../../db/schema";
import { everyDatabase, tenantEnv } from "../../db/shards";
import { newId } from "../../engine/ids";
import { iso } from "../../engine/job-view";
import { IdParam, errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import { ApiKeyListSchema, ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema, ListKeysQuery } from "../../schemas/key";
import { ADMIN_TENANT, type Principal } from "../../auth/principal";
import { sha256Hex } from "../../crypto";
import { newRouter } from "../context";
import { mintKey } from "../keys";
import { ApiError, notFound } from "../errors";
import { requireScope } from "../middleware/auth";

const createRouteDef = createRoute({
  method: "post",
  path: "/",
  operationId: "createKey",
  summary: "Create an API key for a tenant (the key is returned once)",
  tags: ["keys"],
  middleware: [requireScope("admin")] as const,
  request: jsonBody(CreateApiKeySchema),
  responses: { 201: jsonContent(CreatedApiKeySchema, "Created") },
});

const listRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "listKeys",
  summary: "List API keys",
  tags: ["keys"],
  middleware: [requireScope("admin")] as const,
  request: { query: ListKeysQuery },
  responses: { 200: jsonContent(ApiKeyListSchema, "Keys") },
});

const revokeRoute = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteKey",
  summary: "Revoke an API key",
  tags: ["keys"],
  middleware: [requireScope("admin")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(ApiKeySchema, "Revoked"), ...errorResponses(404) },
});

const KEY_LIST_LIMIT = 1_000;
const drizzleOf = (db: D1Database) => database({ DB: db });

function toKey(row: typeof apiKeys.$inferSelect) {
  return {
    id: row.id,
    name: row.name,
    tenant: row.tenant,
    scopes: JSON.parse(row.scopes),
    prefix: row.prefix,
    createdAt: iso(row.createdAt),
    revokedAt: row.revokedAt === null ? null : iso(row.revokedAt),
  };
}

export const keysApi = newRouter()
  .openapi(createRouteDef, async (c) => {
    const body = c.req.valid("json");
    assertOperatorOr(c.get("principal"), body.tenant);
    const id = newId("key");
    const scopes = [...new Set(body.scopes)];
    const key = await mintKey(c.env.SIGNING_SECRET, { id, tenant: body.tenant, scopes });
    const row = {
      id,
      name: body.name,
      tenant: body.tenant,
      scopes: JSON.stringify(scopes),
      hash: await sha256Hex(key),
      // The first characters are the same for every key (base64 of its claims' opening): show the end.
      prefix: `${key.slice(0, 4)}…${key.slice(-6)}`,
      createdAt: Date.now(),
      revokedAt: null,
    };
    // A key lives in its tenant's database, where every request it makes checks it.
    await database(tenantEnv(c.env, body.tenant)).insert(apiKeys).values(row);
    return c.json({ ...toKey(row), key }, 201);
  })
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const principal = c.get("principal");
    // A tenant's admin key sees its own tenant's keys; the platform's admin key sees any.
    const tenant = principal.tenant === ADMIN_TENANT ? query.tenant : principal.tenant;
    const includeRevoked = query.includeRevoked;
    const select = (db: Database) =>
      db
        .select()
        .from(apiKeys)
        .where(and(tenant ? eq(apiKeys.tenant, tenant) : undefined, includeRevoked === "true" ? undefined : isNull(apiKeys.revokedAt)))
        .orderBy(desc(apiKeys.createdAt))
        .limit(KEY_LIST_LIMIT);
    const rows = tenant ? await select(database(tenantEnv(c.env, tenant))) : (await Promise.all(everyDatabase(c.env).map(({ db }) => select(drizzleOf(db))))).flat();
    rows.sort((a, b) => b.createdAt - a.createdAt);
    return c.json({ items: rows.slice(0, KEY_LIST_LIMIT).map(toKey) }, 200);
  })
  .openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const principal = c.get("principal");
    const revoke = (db: Database, own?: SQL) =>
      db.update(apiKeys).set({ revokedAt: Date.now() }).where(and(eq(apiKeys.id, id), own)).returning();
    // The platform's admin key revokes any tenant's key: the one database that holds it answers.
    const [row] =
      principal.tenant === ADMIN_TENANT
        ? (await Promise.all(everyDatabase(c.env).map(({ db }) => revoke(drizzleOf(db))))).flat()
        : await revoke(c.get("db"), eq(apiKeys.tenant, principal.tenant));
    if (!row) throw notFound(`key ${id}`);
    return c.json(toKey(row), 200);
  });

/** The platform's admin key acts for any tenant; a tenant's admin key only for its own tenant. */
function assertOperatorOr(principal: Principal, tenant: string) {
  if (principal.tenant !== ADMIN_TENANT && principal.tenant !== tenant) {
    throw new ApiError(403, "forbidden", "a tenant's admin key manages its own tenant's keys only");
  }
}
