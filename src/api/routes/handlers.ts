import { createRoute, z } from "@hono/zod-openapi";
import { createHandler, deleteHandler, getHandler, listHandlers, rotateSecret, updateHandler } from "../../handlers/store";
import { PageQuery, errorResponses, jsonBody, jsonContent, listOf, withLocation } from "../../schemas/common";
import { CreateHandlerSchema, CreatedHandlerSchema, HandlerSchema, HandlerSecretSchema, HandlerType, UpdateHandlerSchema } from "../../schemas/handler";
import type { Context } from "hono";
import { type AppEnv, newRouter } from "../context";
import { assertSecretsKey } from "../errors";
import { requireScope } from "../middleware/auth";
import { cursorWith, decodeCursor, pageOf } from "../pagination";

const TypeParam = z.object({ type: HandlerType.openapi({ param: { name: "type", in: "path" } }) });
const tags = ["handlers"];

const createRouteDef = createRoute({
  method: "post",
  path: "/",
  operationId: "createHandler",
  summary: "Register a job type served by your own HTTPS endpoint; answers its signing secret once",
  tags,
  middleware: [requireScope("admin")] as const,
  request: jsonBody(CreateHandlerSchema),
  responses: {
    201: withLocation(jsonContent(CreatedHandlerSchema, "Registered: keep the secret, it is not shown again")),
    ...errorResponses(400, 401, 403, 409, 413, 422, 503),
  },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listHandlers",
  summary: "The tenant's handler job types, by type",
  tags,
  middleware: [requireScope("jobs:read")] as const,
  request: { query: PageQuery },
  responses: { 200: jsonContent(listOf(HandlerSchema, "HandlerList"), "A page"), ...errorResponses(400, 401, 403) },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/{type}",
  operationId: "getHandler",
  summary: "A handler job type (never its secret)",
  tags,
  middleware: [requireScope("jobs:read")] as const,
  request: { params: TypeParam },
  responses: { 200: jsonContent(HandlerSchema, "The handler"), ...errorResponses(400, 401, 403, 404) },
});

const updateRouteDef = createRoute({
  method: "patch",
  path: "/{type}",
  operationId: "updateHandler",
  summary: "Change a handler's URL, input schema, retry, time limit, concurrency or rate limit",
  tags,
  middleware: [requireScope("admin")] as const,
  request: { params: TypeParam, ...jsonBody(UpdateHandlerSchema) },
  responses: { 200: jsonContent(HandlerSchema, "The handler as changed"), ...errorResponses(400, 401, 403, 404, 413, 422, 503) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{type}",
  operationId: "deleteHandler",
  summary: "Unregister a handler (its jobs still waiting fail when they come to run)",
  tags,
  middleware: [requireScope("admin")] as const,
  request: { params: TypeParam },
  responses: { 204: { description: "Unregistered" }, ...errorResponses(400, 401, 403, 404) },
});

const rotateRouteDef = createRoute({
  method: "post",
  path: "/{type}/secret",
  operationId: "rotateHandlerSecret",
  summary: "A new signing secret; for a day calls carry a signature with the old one too",
  tags,
  middleware: [requireScope("admin")] as const,
  request: { params: TypeParam },
  responses: { 200: jsonContent(HandlerSecretSchema, "The new secret, shown only now"), ...errorResponses(400, 401, 403, 404, 503) },
});

/** Handlers call back where they were registered, unless the operator names the platform's public URL. */
function callbackBase(c: Context<AppEnv>): string {
  const configured = c.env.PUBLIC_URL?.trim();
  return configured || new URL(c.req.url).origin;
}

const isTypeCursor = cursorWith("t", "string");

export const handlersApi = newRouter()
  .openapi(createRouteDef, async (c) => {
    assertSecretsKey(c.env);
    const created = await createHandler(c.env, c.get("principal").tenant, c.req.valid("json"), callbackBase(c));
    c.header("Location", `/api/v1/handlers/${created.handler.type}`);
    return c.json(created, 201);
  })
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, isTypeCursor).t : undefined;
    const rows = await listHandlers(c.get("db"), c.get("principal").tenant, after, limit);
    return c.json(pageOf(rows, limit, (r) => r, (r) => ({ t: r.type })), 200);
  })
  .openapi(getRouteDef, async (c) => c.json(await getHandler(c.get("db"), c.get("principal").tenant, c.req.valid("param").type), 200))
  .openapi(updateRouteDef, async (c) => {
    assertSecretsKey(c.env);
    const { type } = c.req.valid("param");
    return c.json(await updateHandler(c.env, c.get("principal").tenant, type, c.req.valid("json"), callbackBase(c)), 200);
  })
  .openapi(deleteRouteDef, async (c) => {
    await deleteHandler(c.get("db"), c.get("principal").tenant, c.req.valid("param").type);
    return c.body(null, 204);
  })
  .openapi(rotateRouteDef, async (c) => {
    assertSecretsKey(c.env);
    return c.json(await rotateSecret(c.env, c.get("principal").tenant, c.req.valid("param").type), 200);
  });
