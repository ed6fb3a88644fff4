import { createRoute, z } from "@hono/zod-openapi";
import { completeAttempt, failAttempt, reportProgress } from "../../handlers/callbacks";
import { TenantName, errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import { CallbackAnswerSchema, CallbackCompleteSchema, CallbackFailSchema, CallbackProgressSchema } from "../../schemas/handler";
import { newRouter } from "../context";
import { useTenantDatabase } from "../middleware/auth";

/**
 * Where a tenant's handler reports on an attempt it answered 202 for. The URLs come with each
 * call (`callbacks` in its body); the token in them is the credential, scoped to that one attempt.
 */
const CallbackParams = z.object({
  tenant: TenantName.openapi({ param: { name: "tenant", in: "path" } }),
  jobId: z.string().min(1).max(64).openapi({ param: { name: "jobId", in: "path" } }),
  token: z.string().min(1).max(200).openapi({ param: { name: "token", in: "path" } }),
});

const tags = ["handlers"];
const answers = (what: string) => ({
  200: jsonContent(CallbackAnswerSchema, what),
  ...errorResponses(400, 401, 404, 409, 413, 422),
});

const progressRouteDef = createRoute({
  method: "post",
  path: "/{tenant}/{jobId}/{token}/progress",
  operationId: "reportHandlerProgress",
  summary: "A handler reports progress (and logs) of an open attempt; 409 once the attempt is over (cancelled, say)",
  tags,
  security: [],
  request: { params: CallbackParams, ...jsonBody(CallbackProgressSchema) },
  responses: answers("Recorded"),
});

const completeRouteDef = createRoute({
  method: "post",
  path: "/{tenant}/{jobId}/{token}/complete",
  operationId: "completeHandlerAttempt",
  summary: "A handler reports that an open attempt succeeded, with the job's result",
  tags,
  security: [],
  request: { params: CallbackParams, ...jsonBody(CallbackCompleteSchema) },
  responses: answers("The job completed"),
});

const failRouteDef = createRoute({
  method: "post",
  path: "/{tenant}/{jobId}/{token}/fail",
  operationId: "failHandlerAttempt",
  summary: "A handler reports that an open attempt failed: retried with the backoff unless retryable is false or attempts are used up",
  tags,
  security: [],
  request: { params: CallbackParams, ...jsonBody(CallbackFailSchema) },
  responses: answers("The attempt failed: the job is retrying or failed"),
});

export const callbacksApi = newRouter()
  .openapi(progressRouteDef, async (c) => {
    const { tenant, jobId, token } = c.req.valid("param");
    useTenantDatabase(c, tenant);
    return c.json(await reportProgress(c.env, tenant, jobId, token, c.req.valid("json")), 200);
  })
  .openapi(completeRouteDef, async (c) => {
    const { tenant, jobId, token } = c.req.valid("param");
    useTenantDatabase(c, tenant);
    return c.json(await completeAttempt(c.env, tenant, jobId, token, c.req.valid("json")), 200);
  })
  .openapi(failRouteDef, async (c) => {
    const { tenant, jobId, token } = c.req.valid("param");
    useTenantDatabase(c, tenant);
    return c.json(await failAttempt(c.env, tenant, jobId, token, c.req.valid("json")), 200);
  });
