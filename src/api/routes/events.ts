import { createRoute, z } from "@hono/zod-openapi";
import { signingSecrets } from "../../auth/configuration";
import { bindingOf } from "../../db/shards";
import { jobEvents } from "../../engine/events";
import { findJob } from "../../engine/control";
import { IdParam, errorResponses } from "../../schemas/common";
import { JobEventSchema, eventStreamContent } from "../../schemas/events";
import { type AppEnv, newRouter } from "../context";
import { ApiError } from "../errors";
import { relayAsSse, relayWebSocket } from "../event-relay";
import { mintingKeyLive, verifyEventToken } from "../event-token";
import { assertKeyLive, callerPrincipal, hasScope, useTenantDatabase } from "../middleware/auth";
import type { Context } from "hono";

const eventsRoute = createRoute({
  method: "get",
  path: "/{id}/events",
  operationId: "watchJob",
  summary: "Watch a job: websocket upgrade, or Server-Sent Events with Accept: text/event-stream",
  description:
    "Each message is a `JobEvent`: first `{type:'snapshot', seq, job}`, then `progress` and `status` events, each with an increasing `seq`. " +
    "The stream ends after a final status. Reconnect with `?after=<seq>` (SSE: `Last-Event-ID`) to receive what was missed; " +
    "an SSE client resuming a finished job's stream with nothing missed gets 204, which stops an EventSource reconnecting. " +
    "Authenticate with `Authorization: Bearer <key>`, the dashboard's session cookie, or, from a browser, `?token=` from `POST /jobs/{id}/events/token`.",
  tags: ["events"],
  request: {
    params: IdParam,
    query: z.object({
      after: z.coerce.number().int().min(0).optional(),
      token: z.string().max(2_000).optional(),
    }),
  },
  responses: {
    101: { description: "Switching to a websocket: each text message is one `JobEvent` as JSON" },
    200: eventStreamContent("An SSE stream of `JobEvent`s", "JobEvent"),
    204: { description: "SSE only: the job is finished and the client, resuming, has missed nothing; it should stop reconnecting" },
    ...errorResponses(404, 426),
  },
});

async function watcherTenant(c: Context<AppEnv>, jobId: string, token: string | undefined): Promise<string> {
  if (token && !c.req.header("authorization")) {
    const claims = await verifyEventToken(signingSecrets(c.env), token);
    if (!claims) throw new ApiError(401, "unauthorized", "the watch token is invalid or expired");
    if (claims.jobId !== jobId) throw new ApiError(404, "not_found", `job ${jobId} not found`);
    useTenantDatabase(c, claims.tenant);
    if (!(await mintingKeyLive(c.env.DB, claims))) {
      throw new ApiError(401, "unauthorized", "the key that minted this watch token was revoked");
    }
    return claims.tenant;
  }
  const principal = await callerPrincipal(c);
  if (!principal) {
    throw new ApiError(401, "unauthorized", "send `Authorization: Bearer <key>` or a `token` from POST /jobs/{id}/events/token");
  }
  if (!hasScope(principal, "jobs:read")) throw new ApiError(403, "forbidden", "this key lacks the `jobs:read` scope");
  useTenantDatabase(c, principal.tenant);
  await assertKeyLive(c.env, principal);
  return principal.tenant;
}

/**
 * Opens a websocket to the job's Durable Object on the caller's behalf. For SSE the object answers
 * 204 instead when the caller resumes a finished stream that has nothing more to send.
 */
async function connect(env: Env, jobId: string, after: number | undefined, stream: "websocket" | "sse"): Promise<Response> {
  const url = new URL(`https://job-events/${jobId}`);
  if (after !== undefined) url.searchParams.set("after", String(after));
  const headers = { upgrade: "websocket", "x-job-id": jobId, "x-stream": stream, "x-database": bindingOf(env) };
  return jobEvents(env, jobId).fetch(url, { headers });
}

export const eventsApi = newRouter();
// No route's zod schema names the event messages (the stream is text), so they are registered here.
eventsApi.openAPIRegistry.register("JobEvent", JobEventSchema);

eventsApi.openapi(eventsRoute, async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const tenant = await watcherTenant(c, id, query.token);
  await findJob(c.get("db"), tenant, id);

  if (c.req.header("upgrade")?.toLowerCase() === "websocket") {
    const upstream = (await connect(c.env, id, query.after, "websocket")).webSocket;
    if (!upstream) throw new ApiError(503, "unavailable", "the job's event stream could not be opened");
    return relayWebSocket(upstream);
  }
  if (!c.req.header("accept")?.includes("text/event-stream")) {
    throw new ApiError(426, "upgrade_required", "open a websocket, or send Accept: text/event-stream for SSE");
  }
  const lastEventId = c.req.header("last-event-id");
  const after = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : query.after;
  const opened = await connect(c.env, id, after, "sse");
  // The SSE standard's way to tell a client that reconnects when a stream ends that there is no more.
  if (opened.status === 204) return c.body(null, 204);
  const upstream = opened.webSocket;
  if (!upstream) throw new ApiError(503, "unavailable", "the job's event stream could not be opened");
  return relayAsSse(upstream);
});
