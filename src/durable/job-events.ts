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
    const opening = this.canResume(after) ? this.missedSince(after!) : await this.snapshot(jobId);
    if (!opening) return new Response("job not found", { status: 404 });
    // Accepted only now, so nothing published while the snapshot was read reached it out of order:
    // those events are sent from the log right after the snapshot.
    this.ctx.acceptWebSocket(server);
    for (const text of opening.messages) send(server, text);
    const caughtUp = this.sql
      .exec<{ data: string }>("SELECT data FROM events WHERE seq > ? ORDER BY seq", opening.seq)
      .toArray()
      .map((r) => r.data);
    for (const text of caughtUp) send(server, text);
    if (opening.final || caughtUp.some(isFinalEvent)) server.close(CLOSE_NORMAL, "job finished");
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Resuming needs events logged after `after`, still retained; otherwise the client gets a snapshot. */
  private canResume(after: number | undefined): boolean {
    if (after === undefined || !Number.isInteger(after)) return false;
    const lastSeq = this.lastSeq();
    const oldest = this.sql.exec<{ seq: number | null }>("SELECT min(seq) AS seq FROM events").toArray()[0]?.seq ?? null;
    return lastSeq > 0 && oldest !== null && after <= lastSeq && after >= oldest - 1;
  }

  private missedSince(after: number) {
    const lastSeq = this.lastSeq();
    const messages = this.sql
      .exec<{ data: string }>("SELECT data FROM events WHERE seq > ? AND seq <= ? ORDER BY seq", after, lastSeq)
      .toArray()
      .map((r) => r.data);
    return { messages, seq: lastSeq, final: messages.some(isFinalEvent) || this.meta("final") === "1" };
  }

  /**
   * Marks the job watched and reads it in one statement: a runner that settles after this sees
   * watched = 1 and publishes; one that settled before is already reflected in the row.
   */
  private async snapshot(jobId: string) {
    const seq = this.lastSeq();
    const row = await database(this.env).update(jobs).set({ watched: 1 }).where(eq(jobs.id, jobId)).returning().get();
    if (!row) return undefined;
    const job = toJob(row);
    const progress = this.meta("progress");
    if (progress && job.status === "running") {
      const live = JSON.parse(progress) as Extract<JobEvent, { type: "progress" }>;
      if (live.attempt === job.attempts) job.progress = { percent: live.percent, stage: live.stage, message: live.message };
    }
    const final = TERMINAL.has(job.status);
    if (final) this.setMeta("final", "1");
    return { messages: [JSON.stringify({ type: "snapshot", seq, job })], seq, final };
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

function isFinalEvent(text: string): boolean {
  const event = JSON.parse(text) as StoredEvent;
  return event.type === "status" && TERMINAL.has(event.status);
}

function send(ws: WebSocket, text: string) {
  try {
    ws.send(text);
  } catch (err) {
    console.warn("dropping a message for a closed socket", err);
  }
}
