import { createRoute, z } from "@hono/zod-openapi";
import { IdParam, PageQuery, errorResponses, jsonBody, jsonContent, listOf, withLocation } from "../../schemas/common";
import {
  CreateWebhookSchema,
  CreatedWebhookSchema,
  DeliveryDetailSchema,
  DeliveryQuery,
  DeliverySchema,
  UpdateWebhookSchema,
  WebhookSchema,
  WebhookSecretSchema,
} from "../../schemas/webhook";
import {
  createWebhook,
  deleteWebhook,
  deliveryView,
  findDelivery,
  findWebhook,
  listDeliveries,
  listWebhooks,
  pingWebhook,
  redeliver,
  rotateWebhookSecret,
  updateWebhook,
  webhookView,
} from "../../webhooks/store";
import { newRouter } from "../context";
import { assertSecretsKey } from "../errors";
import { requireScope } from "../middleware/auth";
import { decodeCursor, isIdCursor, pageOf } from "../pagination";

const tags = ["webhooks"];
const DeliveryParams = IdParam.extend({ deliveryId: z.string().min(1).max(64).openapi({ param: { name: "deliveryId", in: "path" } }) });
const read = requireScope("jobs:read");
const write = requireScope("admin");

const routes = {
  create: createRoute({
    method: "post", path: "/", operationId: "createWebhook", tags, middleware: write,
    summary: "Subscribe a URL to job events; answers its signing secret once",
    request: jsonBody(CreateWebhookSchema),
    responses: { 201: withLocation(jsonContent(CreatedWebhookSchema, "Subscribed: keep the secret, it is not shown again")), ...errorResponses(400, 401, 403, 413, 422, 503) },
  }),
  list: createRoute({
    method: "get", path: "/", operationId: "listWebhooks", tags, middleware: read, summary: "The tenant's webhooks, newest first",
    request: { query: PageQuery },
    responses: { 200: jsonContent(listOf(WebhookSchema, "WebhookList"), "A page"), ...errorResponses(400, 401, 403) },
  }),
  get: createRoute({
    method: "get", path: "/{id}", operationId: "getWebhook", tags, middleware: read, summary: "A webhook (never its secret)",
    request: { params: IdParam },
    responses: { 200: jsonContent(WebhookSchema, "The webhook"), ...errorResponses(400, 401, 403, 404) },
  }),
  update: createRoute({
    method: "patch", path: "/{id}", operationId: "updateWebhook", tags, middleware: write,
    summary: "Change a webhook; `status: active` resumes a paused one and sends what it held",
    request: { params: IdParam, ...jsonBody(UpdateWebhookSchema) },
    responses: { 200: jsonContent(WebhookSchema, "The webhook as changed"), ...errorResponses(400, 401, 403, 404, 413, 422) },
  }),
  delete: createRoute({
    method: "delete", path: "/{id}", operationId: "deleteWebhook", tags, middleware: write, summary: "Delete a webhook and its deliveries",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
  }),
  rotate: createRoute({
    method: "post", path: "/{id}/secret", operationId: "rotateWebhookSecret", tags, middleware: write,
    summary: "A new signing secret; for a day deliveries carry a signature with the old one too",
    request: { params: IdParam },
    responses: { 200: jsonContent(WebhookSecretSchema, "The new secret, shown only now"), ...errorResponses(400, 401, 403, 404, 503) },
  }),
  ping: createRoute({
    method: "post", path: "/{id}/ping", operationId: "pingWebhook", tags, middleware: write, summary: "Send a `ping` event to the URL",
    request: { params: IdParam },
    responses: { 202: jsonContent(DeliverySchema, "The delivery, on its way"), ...errorResponses(400, 401, 403, 404) },
  }),
  deliveries: createRoute({
    method: "get", path: "/{id}/deliveries", operationId: "listWebhookDeliveries", tags, middleware: read,
    summary: "A webhook's deliveries, newest first, with status codes and timings",
    request: { params: IdParam, query: DeliveryQuery },
    responses: { 200: jsonContent(listOf(DeliverySchema, "WebhookDeliveryList"), "A page"), ...errorResponses(400, 401, 403, 404) },
  }),
  delivery: createRoute({
    method: "get", path: "/{id}/deliveries/{deliveryId}", operationId: "getWebhookDelivery", tags, middleware: read,
    summary: "One delivery, with the event's data as sent",
    request: { params: DeliveryParams },
    responses: { 200: jsonContent(DeliveryDetailSchema, "The delivery"), ...errorResponses(400, 401, 403, 404) },
  }),
  redeliver: createRoute({
    method: "post", path: "/{id}/deliveries/{deliveryId}/redeliver", operationId: "redeliverWebhookDelivery", tags, middleware: write,
    summary: "Send a delivery's event again, as a new delivery",
    request: { params: DeliveryParams },
    responses: { 202: jsonContent(DeliverySchema, "The new delivery, on its way"), ...errorResponses(400, 401, 403, 404) },
  }),
};

export const webhooksApi = newRouter()
  .openapi(routes.create, async (c) => {
    assertSecretsKey(c.env);
    const created = await createWebhook(c.env, c.get("principal").tenant, c.req.valid("json"));
    c.header("Location", `/api/v1/webhooks/${created.webhook.id}`);
    return c.json(created, 201);
  })
  .openapi(routes.list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const before = cursor ? decodeCursor(cursor, isIdCursor).id : undefined;
    const rows = await listWebhooks(c.get("db"), c.get("principal").tenant, before, limit);
    return c.json(pageOf(rows, limit, (r) => webhookView(r), (r) => ({ id: r.id })), 200);
  })
  .openapi(routes.get, async (c) => c.json(webhookView(await findWebhook(c.get("db"), c.get("principal").tenant, c.req.valid("param").id)), 200))
  .openapi(routes.update, async (c) => c.json(await updateWebhook(c.env, c.get("principal").tenant, c.req.valid("param").id, c.req.valid("json")), 200))
  .openapi(routes.delete, async (c) => {
    await deleteWebhook(c.get("db"), c.get("principal").tenant, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(routes.rotate, async (c) => {
    assertSecretsKey(c.env);
    return c.json(await rotateWebhookSecret(c.env, c.get("principal").tenant, c.req.valid("param").id), 200);
  })
  .openapi(routes.ping, async (c) => c.json(deliveryView(await pingWebhook(c.env, c.get("principal").tenant, c.req.valid("param").id)), 202))
  .openapi(routes.deliveries, async (c) => {
    const { id } = c.req.valid("param");
    const { status, limit, cursor } = c.req.valid("query");
    const tenant = c.get("principal").tenant;
    await findWebhook(c.get("db"), tenant, id);
    const before = cursor ? decodeCursor(cursor, isIdCursor).id : undefined;
    const rows = await listDeliveries(c.get("db"), tenant, id, { status, before, limit });
    return c.json(pageOf(rows, limit, deliveryView, (r) => ({ id: r.id })), 200);
  })
  .openapi(routes.delivery, async (c) => {
    const { id, deliveryId } = c.req.valid("param");
    const row = await findDelivery(c.get("db"), c.get("principal").tenant, id, deliveryId);
    return c.json({ ...deliveryView(row), payload: JSON.parse(row.payload) }, 200);
  })
  .openapi(routes.redeliver, async (c) => {
    const { id, deliveryId } = c.req.valid("param");
    return c.json(deliveryView(await redeliver(c.env, c.get("principal").tenant, id, deliveryId)), 202);
  });
