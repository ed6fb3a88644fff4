import { createRoute, z } from "@hono/zod-openapi";
import { jobEvents } from "../../engine/events";
import { findJob } from "../../engine/control";
import { IdParam, errorResponses } from "../../schemas/common";
import { type AppEnv, newRouter } from "../context";
import { ApiError } from "../errors";
import { verifyEventToken } from "../event-token";
import { assertKeyLive, bearerToken, hasScope, principalForKey } from "../middleware/auth";
import type { Context } from "hono";

const eventsRoute = createRoute({
  method: "get",
  path: "/{id}/events",
  summary: "Watch a job: websocket upgrade, or Server-Sent Events with Accept: text/event-stream",
  description:
    "The first message is `{type:'snapshot', job}`, then `progress` and `status` events, each with an increasing `seq`. " +
    "The stream ends after a final status. Reconnect with `?after=<seq>` (SSE: `Last-Event-ID`) to receive what was missed. " +
    "Authenticate with `Authorization: Bearer <key>` or, from a browser, `?token=` from `POST /jobs/{id}/events/token`.",
  tags: ["events"],
  request: {
    params: IdParam,
    query: z.object({
      after: z.coerce.number().int().min(0).optional(),
      token: z.string().max(2_000).optional(),
    }),
  },
  responses: {
    101: { description: "Switching to a websocket" },
    200: { description: "An SSE stream", content: { "text/event-stream": { schema: z.string() } } },
    ...errorResponses(400, 401, 403, 404, 426),
  },
});

async function watcherTenant(c: Context<AppEnv>, jobId: string, token: string | undefined): Promise<string> {
  const key = bearerToken(c.req.header("authorization"));
  if (key) {
    const principal = await principalForKey(c.env, key);
    if (!principal) throw new ApiError(401, "unauthorized", "unknown or revoked API key");
    if (!hasScope(principal, "jobs:read")) throw new ApiError(403, "forbidden", "this key lacks the `jobs:read` scope");
    await assertKeyLive(c.env, principal);
    return principal.tenant;
  }
  if (token) {
    const claims = await verifyEventToken(c.env.SIGNING_SECRET, token);
    if (!claims) throw new ApiError(401, "unauthorized", "the watch token is invalid or expired");
    if (claims.jobId !== jobId) throw new ApiError(404, "not_found", `job ${jobId} not found`);
    return claims.tenant;
  }
  throw new ApiError(401, "unauthorized", "send `Authorization: Bearer <key>` or a `token` from POST /jobs/{id}/events/token");
}

/** Opens a websocket to the job's Durable Object on the caller's behalf. */
async function connect(env: Env, jobId: string, after: number | undefined): Promise<Response> {
  const url = new URL(`https://job-events/${jobId}`);
  if (after !== undefined) url.searchParams.set("after", String(after));
  return jobEvents(env, jobId).fetch(url, { headers: { upgrade: "websocket", "x-job-id": jobId } });
}

/**
 * SSE for clients that cannot use websockets: the worker holds one (hibernatable) websocket to the
 * Durable Object and relays each message as an event whose id is its `seq`.
 */
function relayAsSse(upstream: WebSocket): Response {
  const encoder = new TextEncoder();
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  let open = true;
  const finish = () => {
    if (!open) return;
    open = false;
    writer.close().catch(() => undefined);
  };
  upstream.accept();
  upstream.addEventListener("message", (event) => {
    if (typeof event.data !== "string" || !open) return;
    const data = JSON.parse(event.data) as { type: string; seq: number };
    writer.write(encoder.encode(`id: ${data.seq}\nevent: ${data.type}\ndata: ${event.data}\n\n`)).catch(() => {
      open = false;
      upstream.close(1000, "client went away");
    });
  });
  upstream.addEventListener("close", finish);
  upstream.addEventListener("error", finish);
  writer.write(encoder.encode(": watching\n\n")).catch(() => undefined);
  return new Response(readable, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
  });
}

export const eventsApi = newRouter().openapi(eventsRoute, async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const tenant = await watcherTenant(c, id, query.token);
  await findJob(c.get("db"), tenant, id);

  if (c.req.header("upgrade")?.toLowerCase() === "websocket") return connect(c.env, id, query.after);
  if (!c.req.header("accept")?.includes("text/event-stream")) {
    throw new ApiError(426, "upgrade_required", "open a websocket, or send Accept: text/event-stream for SSE");
  }
  const lastEventId = c.req.header("last-event-id");
  const after = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : query.after;
  const upstream = (await connect(c.env, id, after)).webSocket;
  if (!upstream) throw new ApiError(503, "unavailable", "the job's event stream could not be opened");
  return relayAsSse(upstream);
});
