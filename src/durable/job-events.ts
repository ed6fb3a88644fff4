import { DurableObject } from "cloudflare:workers";
import { database } from "../db/client";
import { jobs } from "../db/schema";
import { eq } from "drizzle-orm";
import { TERMINAL, type JobEvent } from "../engine/events";
import { toJob } from "../engine/job-view";

const RETAINED_EVENTS = 1_000;
const CLOSE_NORMAL = 1000;

type StoredEvent = JobEvent & { seq: number; at: string };

/**
 * One object per job: the live source of its progress. It keeps a numbered log of recent events
 * in its SQLite storage so a reconnecting client can catch up, and fans each event out to every
 * websocket. Sockets are accepted as hibernatable, so an idle job costs nothing.
 */
export class JobEvents extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, data TEXT NOT NULL);
                   CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
  }

  private meta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  private setMeta(key: string, value: string) {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  private lastSeq(): number {
    return Number(this.meta("lastSeq") ?? 0);
  }

  /** Records events, sends them to every subscriber, and closes all sockets once the job is final. */
  async publish(events: JobEvent[]): Promise<number> {
    let seq = this.lastSeq();
    const stored: StoredEvent[] = [];
    for (const event of events) {
      seq += 1;
      const item = { ...event, seq, at: event.at ?? new Date().toISOString() } as StoredEvent;
      this.sql.exec("INSERT INTO events (seq, data) VALUES (?, ?)", seq, JSON.stringify(item));
      if (event.type === "progress") this.setMeta("progress", JSON.stringify(event));
      if (event.type === "status") this.setMeta("final", TERMINAL.has(event.status) ? "1" : "0");
      stored.push(item);
    }
    this.setMeta("lastSeq", String(seq));
    this.sql.exec("DELETE FROM events WHERE seq <= ?", seq - RETAINED_EVENTS);

    const sockets = this.ctx.getWebSockets();
    for (const item of stored) {
      const text = JSON.stringify(item);
      for (const ws of sockets) send(ws, text);
    }
    if (stored.some((e) => e.type === "status" && TERMINAL.has(e.status))) {
      for (const ws of sockets) ws.close(CLOSE_NORMAL, "job finished");
    }
    return seq;
  }

  /** Accepts a websocket forwarded by the worker once it has checked who may watch this job. */
  override async fetch(request: Request): Promise<Response> {
    const jobId = request.headers.get("x-job-id");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !jobId) {
      return new Response("expected a websocket upgrade for a job", { status: 426 });
    }
    const afterParam = new URL(request.url).searchParams.get("after");
    const after = afterParam === null ? undefined : Number(afterParam);

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const finished = await this.greet(server, jobId, after);
    if (finished) server.close(CLOSE_NORMAL, "job finished");
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Sends the missed events (when `after` is still retained) or else a snapshot; true if the job is final. */
  private async greet(ws: WebSocket, jobId: string, after: number | undefined): Promise<boolean> {
    const lastSeq = this.lastSeq();
    const oldest = this.sql.exec<{ seq: number }>("SELECT min(seq) AS seq FROM events").toArray()[0]?.seq ?? null;
    if (after !== undefined && Number.isInteger(after) && after <= lastSeq && (after >= (oldest ?? 1) - 1)) {
      const missed = this.sql.exec<{ data: string }>("SELECT data FROM events WHERE seq > ? ORDER BY seq", after).toArray();
      let finished = false;
      for (const { data } of missed) {
        send(ws, data);
        const event = JSON.parse(data) as StoredEvent;
        if (event.type === "status" && TERMINAL.has(event.status)) finished = true;
      }
      if (finished || this.meta("final") === "1") return true;
      return false;
    }

    // Mark the job watched and read it in one statement: a runner that settles after this sees
    // watched = 1 and publishes; one that settled before is already reflected in the row.
    const row = await database(this.env).update(jobs).set({ watched: 1 }).where(eq(jobs.id, jobId)).returning().get();
    if (!row) {
      ws.close(1008, "job not found");
      return false;
    }
    const job = toJob(row);
    const progress = this.meta("progress");
    if (progress && job.status === "running") {
      const live = JSON.parse(progress) as Extract<JobEvent, { type: "progress" }>;
      if (live.attempt === job.attempts) job.progress = { percent: live.percent, stage: live.stage, message: live.message };
    }
    send(ws, JSON.stringify({ type: "snapshot", seq: lastSeq, job }));
    const final = TERMINAL.has(job.status);
    if (final) this.setMeta("final", "1");
    return final;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === "ping") send(ws, "pong");
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 ? CLOSE_NORMAL : code, reason);
    } catch {
      // Already closed from this side: nothing left to do.
    }
  }
}

function send(ws: WebSocket, text: string) {
  try {
    ws.send(text);
  } catch (err) {
    console.warn("dropping a message for a closed socket", err);
  }
}
