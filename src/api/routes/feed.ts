import { createRoute, z } from "@hono/zod-openapi";
import { tenantFeed } from "../../engine/feed";
import { errorResponses } from "../../schemas/common";
import { FeedEventSchema, eventStreamContent } from "../../schemas/events";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { relayAsSse, relayWebSocket } from "../event-relay";
import { requireScope } from "../middleware/auth";

const feedRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "watchJobs",
  summary: "Watch every job of the tenant: websocket upgrade, or Server-Sent Events with Accept: text/event-stream",
  description:
    "Each message is a `FeedEvent`. The first is `{type:'ready', seq}`. Then `{type:'job', seq, at, job:{id, type, status, priority, attempt}}` " +
    "whenever a job is created or changes status, and `{type:'progress', seq, at, job:{id, percent, stage, message}}` " +
    "while running jobs report progress (at most about once a second per job). `seq` only grows. Reconnect with " +
    "`?after=<seq>` (SSE: `Last-Event-ID`) to receive recent events missed; when they are no longer known the stream " +
    "starts with `{type:'reset'}`: refetch what you show. A tenant whose feed nobody watches pays nothing for it.",
  tags: ["events"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: z.object({ after: z.coerce.number().int().min(0).optional() }) },
  responses: {
    101: { description: "Switching to a websocket: each text message is one `FeedEvent` as JSON" },
    200: eventStreamContent("An SSE stream of `FeedEvent`s", "FeedEvent"),
    ...errorResponses(426),
  },
});

async function connect(env: Env, tenant: string, after: number | undefined): Promise<WebSocket> {
  const url = new URL(`https://tenant-feed/${encodeURIComponent(tenant)}`);
  if (after !== undefined) url.searchParams.set("after", String(after));
  const opened = await tenantFeed(env, tenant).fetch(url, { headers: { upgrade: "websocket", "x-tenant": tenant } });
  if (!opened.webSocket) throw new ApiError(503, "unavailable", "the tenant's live feed could not be opened");
  return opened.webSocket;
}

export const feedApi = newRouter();
// No route's zod schema names the event messages (the stream is text), so they are registered here.
feedApi.openAPIRegistry.register("FeedEvent", FeedEventSchema);

feedApi.openapi(feedRoute, async (c) => {
  const tenant = c.get("principal").tenant;
  const { after } = c.req.valid("query");
  if (c.req.header("upgrade")?.toLowerCase() === "websocket") return relayWebSocket(await connect(c.env, tenant, after));
  if (!c.req.header("accept")?.includes("text/event-stream")) {
    throw new ApiError(426, "upgrade_required", "open a websocket, or send Accept: text/event-stream for SSE");
  }
  const lastEventId = c.req.header("last-event-id");
  const resumeAt = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : after;
  return relayAsSse(await connect(c.env, tenant, resumeAt));
});
