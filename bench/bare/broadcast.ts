// The floor the fan-out benchmark compares the platform with: one Durable Object that accepts
// hibernatable websockets and sends each message it is given to all of them, nothing else (no
// log, no seq, no storage, no relay through the worker).
import { DurableObject } from "cloudflare:workers";

interface BroadcastEnv {
  ROOM: DurableObjectNamespace<BareRoom>;
}

export class BareRoom extends DurableObject<BroadcastEnv> {
  override async fetch(): Promise<Response> {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  broadcast(text: string, last: boolean): void {
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) ws.send(text);
    if (last) for (const ws of sockets) ws.close(1000, "done");
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, reason);
    } catch {
      // Already closed from this side.
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const status = (status: string, seq: number) => JSON.stringify({ type: "status", status, attempt: 1, at: new Date().toISOString(), seq });

/**
 * Publishes what the platform's runner does, in the same shapes and sizes: a status as the job
 * starts (which, like the platform's, wakes the hibernated object), a progress event every
 * `everyMs`, each stamped with `at` as it is issued, then a final status.
 */
async function publish(room: DurableObjectStub<BareRoom>, count: number, everyMs: number) {
  await room.broadcast(status("running", 1), false);
  for (let i = 1; i <= count; i++) {
    await sleep(everyMs);
    const event = { type: "progress", attempt: 1, percent: (i / count) * 100, stage: `step ${i}/${count}`, message: null };
    await room.broadcast(JSON.stringify({ ...event, at: new Date().toISOString(), seq: i + 1 }), false);
  }
  await room.broadcast(status("completed", count + 2), true);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const room = env.ROOM.getByName(url.searchParams.get("room") ?? "room");
    if (url.pathname === "/ready") return new Response("ok");
    if (url.pathname === "/watch") return room.fetch(request);
    if (url.pathname === "/publish" && request.method === "POST") {
      await publish(room, Number(url.searchParams.get("count") ?? 20), Number(url.searchParams.get("everyMs") ?? 300));
      return Response.json({ published: true });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<BroadcastEnv>;
