import { DurableObject } from "cloudflare:workers";
import { CLOSE_NORMAL, answerPing, completeClose, send } from "./sockets";
import { database } from "../db/client";
import { onDatabase } from "../db/shards";
import { type JobEvent, type ProgressEvent, TERMINAL } from "../engine/events";
import { toJob } from "../engine/job-view";
import { markWatched } from "../engine/store/watch";
import type { JobEventMessage } from "../schemas/events";
import type { Job } from "../schemas/job";

const RETAINED_EVENTS = 1_000;

type StoredEvent = JobEvent & { seq: number; at: string };

/** What a new socket is sent first: a snapshot, or the events it missed. */
interface Opening {
  messages: string[];
  seq: number;
  final: boolean;
  /** The progress the snapshot showed: what the socket is sent next must not fall behind it. */
  shown?: ProgressEvent;
}

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

  /** The latest progress of the current attempt; a status event starts afresh. */
  private lastProgress(): ProgressEvent | undefined {
    const text = this.meta("progress");
    return text ? (JSON.parse(text) as ProgressEvent) : undefined;
  }

  /**
   * Numbers events, sends them to every subscriber, records them, and closes all sockets once the
   * job is final. Progress that would rewind the attempt's (a replayed checkpoint, one a snapshot
   * already showed) is dropped.
   *
   * The frames go out before the writes: a frame sent after a storage write is held until that
   * write commits (the output gate), which would delay all of them by a commit. All of it runs in
   * one synchronous turn, so no socket can open between the send and the write and miss an event.
   * Should the commit fail, the runtime resets the object and drops its sockets; a watcher that
   * resumes from a seq the log never kept gets a fresh snapshot (see canResume).
   */
  async publish(events: JobEvent[]): Promise<number> {
    const { items, seq } = this.numbered(events);
    const texts = items.map((item) => JSON.stringify(item));
    this.broadcast(texts, items.some((e) => e.type === "status" && TERMINAL.has(e.status)));
    this.record(items, texts, seq);
    return seq;
  }

  /** The events that go out, each with its seq and time; `seq` is the last one given. */
  private numbered(events: JobEvent[]): { items: StoredEvent[]; seq: number } {
    let seq = this.lastSeq();
    let progress = this.lastProgress();
    const items: StoredEvent[] = [];
    for (const event of events) {
      if (event.type === "progress" && rewinds(progress, event)) continue;
      seq += 1;
      progress = event.type === "progress" ? event : undefined;
      items.push({ ...event, seq, at: event.at ?? new Date().toISOString() } as StoredEvent);
    }
    return { items, seq };
  }

  /** Each text is made once and sent as it is to every open socket (closing ones are skipped). */
  private broadcast(texts: string[], final: boolean) {
    const sockets = this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN);
    for (const text of texts) for (const ws of sockets) send(ws, text);
    if (final) for (const ws of sockets) ws.close(CLOSE_NORMAL, "job finished");
  }

  private record(items: StoredEvent[], texts: string[], seq: number) {
    items.forEach((item, i) => {
      this.sql.exec("INSERT INTO events (seq, data) VALUES (?, ?)", item.seq, texts[i]!);
      if (item.type === "progress") {
        this.setMeta("progress", texts[i]!);
      } else {
        this.sql.exec("DELETE FROM meta WHERE key = 'progress'");
        this.setMeta("final", TERMINAL.has(item.status) ? "1" : "0");
      }
    });
    this.setMeta("lastSeq", String(seq));
    this.sql.exec("DELETE FROM events WHERE seq <= ?", seq - RETAINED_EVENTS);
  }

  /**
   * Accepts a websocket forwarded by the worker once it has checked who may watch this job. The
   * worker's SSE relay marks its requests (`x-stream: sse`): resuming a finished stream that has
   * nothing more is then answered 204, which is how an EventSource is told to stop reconnecting.
   */
  override async fetch(request: Request): Promise<Response> {
    const jobId = request.headers.get("x-job-id");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !jobId) {
      return new Response("expected a websocket upgrade for a job", { status: 426 });
    }
    const afterParam = new URL(request.url).searchParams.get("after");
    const after = afterParam === null ? undefined : Number(afterParam);
    // The worker names the shard that holds the job (`x-database`): the snapshot reads it there.
    const shard = request.headers.get("x-database");
    const opening = this.canResume(after) ? this.missedSince(after!) : await this.snapshot(jobId, shard);
    if (!opening) return new Response("job not found", { status: 404 });
    const caughtUp = this.loggedSince(opening);
    const ended = opening.final || caughtUp.some(isFinalEvent);
    if (ended && after !== undefined && after >= this.lastSeq() && request.headers.get("x-stream") === "sse") {
      return new Response(null, { status: 204 });
    }

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    // Accepted only now, so nothing published while the snapshot was read reached it out of order:
    // those events are sent from the log right after the snapshot.
    this.ctx.acceptWebSocket(server);
    for (const text of [...opening.messages, ...caughtUp]) send(server, text);
    if (ended) server.close(CLOSE_NORMAL, "job finished");
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Events logged after the opening, without progress that falls behind what its snapshot showed. */
  private loggedSince(opening: Opening): string[] {
    let shown = opening.shown;
    return this.sql
      .exec<{ data: string }>("SELECT data FROM events WHERE seq > ? ORDER BY seq", opening.seq)
      .toArray()
      .map((r) => r.data)
      .filter((text) => {
        const event = JSON.parse(text) as StoredEvent;
        if (event.type === "status") shown = undefined;
        else if (rewinds(shown, event)) return false;
        else shown = event;
        return true;
      });
  }

  /** Resuming needs events logged after `after`, still retained; otherwise the client gets a snapshot. */
  private canResume(after: number | undefined): boolean {
    if (after === undefined || !Number.isInteger(after)) return false;
    const lastSeq = this.lastSeq();
    const oldest = this.sql.exec<{ seq: number | null }>("SELECT min(seq) AS seq FROM events").toArray()[0]?.seq ?? null;
    return lastSeq > 0 && oldest !== null && after <= lastSeq && after >= oldest - 1;
  }

  private missedSince(after: number): Opening {
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
  private async snapshot(jobId: string, shard: string | null): Promise<Opening | undefined> {
    const before = { seq: this.lastSeq(), progress: this.lastProgress() };
    const row = await markWatched(database(shard ? onDatabase(this.env, shard) : this.env), jobId);
    if (!row) return undefined;
    const job = toJob(row);
    const seq = before.seq;
    const shown = job.status === "running" ? this.runningProgress(job, before) : undefined;
    if (shown) job.progress = { percent: shown.percent, stage: shown.stage, message: shown.message };
    const final = TERMINAL.has(job.status);
    if (final) this.setMeta("final", "1");
    return { messages: [JSON.stringify({ type: "snapshot", seq, job } satisfies JobEventMessage)], seq, final, shown };
  }

  /**
   * What a running job's snapshot shows: the latest progress this object received, else D1's row.
   * D1's row is then remembered as the attempt's progress: the runner, told by its next write that
   * someone watches, publishes what it held back since that row, so every later snapshot shows the
   * same starting point and then the same events, and none goes backwards.
   */
  private runningProgress(job: Job, before: { seq: number; progress?: ProgressEvent }): ProgressEvent | undefined {
    if (before.progress?.attempt === job.attempts) return before.progress;
    const now = this.lastProgress();
    // Another snapshot read the row meanwhile and nothing was published since: show what it showed.
    if (now?.attempt === job.attempts && this.lastSeq() === before.seq) return now;
    if (job.progress.percent === null) return undefined;
    const fromRow = { type: "progress" as const, attempt: job.attempts, ...job.progress, percent: job.progress.percent };
    if (now?.attempt !== job.attempts) this.setMeta("progress", JSON.stringify(fromRow));
    return fromRow;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    answerPing(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    completeClose(ws, code, reason);
  }
}

/** Whether `next` shows less of the attempt than `last` did, or repeats it. */
function rewinds(last: ProgressEvent | undefined, next: ProgressEvent): boolean {
  if (!last || last.attempt !== next.attempt) return false;
  if (next.percent !== last.percent) return next.percent < last.percent;
  return next.stage === last.stage && next.message === last.message;
}

function isFinalEvent(text: string): boolean {
  const event = JSON.parse(text) as StoredEvent;
  return event.type === "status" && TERMINAL.has(event.status);
}
