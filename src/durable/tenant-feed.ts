import { DurableObject } from "cloudflare:workers";
import { answerPing, completeClose, send } from "./sockets";
import { tenantEnv } from "../db/shards";
import type { FeedEvent } from "../engine/feed";
import type { FeedEventMessage } from "../schemas/events";

/** How long a subscribed feed's row in `tenant_feeds` holds without being renewed. */
export const FEED_LEASE_MS = 5 * 60_000;
/** Renewed this long before it runs out, by the object's alarm, while anyone is subscribed. */
const RENEW_BEFORE_MS = 2 * 60_000;
/** Events kept in memory for a subscriber that reconnects (`?after=`). */
const RETAINED_EVENTS = 500;

type Numbered = FeedEvent & { seq: number };

/**
 * One object per tenant: the tenant's live feed. While it has subscribers it holds the tenant's
 * row in `tenant_feeds`, which makes the job store's writes publish here (engine/feed.ts); when the
 * last subscriber leaves the row goes, so a feed nobody watches costs nothing. Sockets are
 * hibernatable. Recent events are kept in memory only: after the object hibernates, a subscriber
 * resuming is sent `reset` and refetches what it shows.
 *
 * Sequence numbers start from the clock (ms × 1000) each time the object wakes, so they only ever
 * grow, and a resume point from before a restart is never mistaken for one after it.
 */
export class TenantFeed extends DurableObject<Env> {
  private seq = Date.now() * 1000;
  private readonly recent: Numbered[] = [];

  async publish(events: FeedEvent[]): Promise<number> {
    const sockets = this.open();
    const texts: string[] = [];
    for (const event of events) {
      this.seq += 1;
      const numbered = { ...event, seq: this.seq };
      this.recent.push(numbered);
      texts.push(JSON.stringify(numbered));
    }
    if (this.recent.length > RETAINED_EVENTS) this.recent.splice(0, this.recent.length - RETAINED_EVENTS);
    for (const text of texts) for (const ws of sockets) send(ws, text);
    return this.seq;
  }

  /** Accepts a websocket the worker forwards once it has checked the caller may read the tenant's jobs. */
  override async fetch(request: Request): Promise<Response> {
    const tenant = request.headers.get("x-tenant");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !tenant) {
      return new Response("expected a websocket upgrade for a tenant", { status: 426 });
    }
    await this.hold(tenant);
    const after = Number(new URL(request.url).searchParams.get("after") ?? Number.NaN);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    for (const text of this.opening(after)) send(server, text);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** `ready`, preceded by what a resuming subscriber missed, or `reset` when that is no longer known. */
  private opening(after: number): string[] {
    const ready = JSON.stringify({ type: "ready", seq: this.seq } satisfies FeedEventMessage);
    if (!Number.isInteger(after)) return [ready];
    const oldest = this.recent[0]?.seq ?? this.seq + 1;
    if (after > this.seq || after < oldest - 1) return [JSON.stringify({ type: "reset", seq: this.seq } satisfies FeedEventMessage), ready];
    return [...this.recent.filter((e) => e.seq > after).map((e) => JSON.stringify(e)), ready];
  }

  /** Writes (or renews) the tenant's row so the job store publishes here, and keeps it renewed. */
  private async hold(tenant: string) {
    const now = Date.now();
    const until = (await this.ctx.storage.get<number>("until")) ?? 0;
    if (until - now > RENEW_BEFORE_MS) return;
    await tenantEnv(this.env, tenant)
      .DB.prepare("INSERT INTO tenant_feeds (tenant, until) VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET until = excluded.until")
      .bind(tenant, now + FEED_LEASE_MS)
      .run();
    await this.ctx.storage.put({ until: now + FEED_LEASE_MS, tenant });
    await this.ctx.storage.setAlarm(now + FEED_LEASE_MS - RENEW_BEFORE_MS);
  }

  private async release() {
    const tenant = await this.ctx.storage.get<string>("tenant");
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
    if (tenant) await tenantEnv(this.env, tenant).DB.prepare("DELETE FROM tenant_feeds WHERE tenant = ?").bind(tenant).run();
  }

  override async alarm(): Promise<void> {
    const tenant = await this.ctx.storage.get<string>("tenant");
    if (this.open().length === 0 || !tenant) return this.release();
    await this.ctx.storage.delete("until");
    await this.hold(tenant);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    answerPing(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    completeClose(ws, code, reason);
    if (this.open().filter((other) => other !== ws).length === 0) await this.release();
  }

  private open(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN);
  }
}
