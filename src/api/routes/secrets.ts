import { createRoute, z } from "@hono/zod-openapi";
import { iso } from "../../engine/job-view";
import { IsoTimestamp, PageQuery, errorResponses, jsonBody, jsonContent, listOf } from "../../schemas/common";
import { SecretName } from "../../secrets/references";
import { type SecretInfo, deleteSecret, listSecrets, putSecret } from "../../secrets/store";
import { newRouter } from "../context";
import { assertSecretsKey } from "../errors";
import { requireScope } from "../middleware/auth";
import { cursorWith, decodeCursor, pageOf } from "../pagination";

/**
 * Enough for tokens, URLs and PEM keys. JSON-escaped at worst six bytes a character, it stays
 * under the route's body limit (src/api/body-limits.ts), which refuses larger bodies unread.
 */
export const MAX_SECRET_VALUE_LENGTH = 8 * 1024;

const NameParam = z.object({ name: SecretName.openapi({ param: { name: "name", in: "path" }, example: "stripe-token" }) });

const SecretSchema = z
  .object({ name: z.string(), createdAt: IsoTimestamp, updatedAt: IsoTimestamp })
  .openapi("Secret", { description: "A stored secret: its name and dates, never its value." });

const PutSecretSchema = z
  .object({ value: z.string().min(1).max(MAX_SECRET_VALUE_LENGTH).describe("Stored encrypted; no route returns it.") })
  .strict()
  .openapi("PutSecret");

const putRouteDef = createRoute({
  method: "put",
  path: "/{name}",
  operationId: "putSecret",
  summary: "Store a secret (encrypted at rest); job input refers to it as {\"$secret\": name}",
  tags: ["secrets"],
  middleware: [requireScope("admin")] as const,
  request: { params: NameParam, ...jsonBody(PutSecretSchema) },
  responses: {
    201: jsonContent(SecretSchema, "Stored"),
    200: jsonContent(SecretSchema, "Replaced the value of the secret with this name"),
    ...errorResponses(503),
  },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listSecrets",
  summary: "List the tenant's secrets by name (names and dates only)",
  tags: ["secrets"],
  middleware: [requireScope("admin")] as const,
  request: { query: PageQuery },
  responses: { 200: jsonContent(listOf(SecretSchema, "SecretList"), "A page") },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{name}",
  operationId: "deleteSecret",
  summary: "Delete a secret (jobs that name it and have not run yet will fail)",
  tags: ["secrets"],
  middleware: [requireScope("admin")] as const,
  request: { params: NameParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404) },
});

const toSecret = (row: SecretInfo) => ({ name: row.name, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) });

const isNameCursor = cursorWith("n", "string");

export const secretsApi = newRouter()
  .openapi(putRouteDef, async (c) => {
    assertSecretsKey(c.env);
    const { name } = c.req.valid("param");
    const { created, ...row } = await putSecret(c.env, c.get("principal").tenant, name, c.req.valid("json").value, Date.now());
    return created ? c.json(toSecret(row), 201) : c.json(toSecret(row), 200);
  })
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, isNameCursor).n : undefined;
    const rows = await listSecrets(c.get("db"), c.get("principal").tenant, after, limit);
    return c.json(pageOf(rows, limit, toSecret, (r) => ({ n: r.name })), 200);
  })
  .openapi(deleteRouteDef, async (c) => {
    await deleteSecret(c.get("db"), c.get("principal").tenant, c.req.valid("param").name);
    return c.body(null, 204);
  });
