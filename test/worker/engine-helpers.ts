import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { database, type JobRow } from "../../src/db/client";
import { jobs } from "../../src/db/schema";
import { prepareJobs } from "../../src/engine/submit";
import worker from "../../src/index";
import type { SubmitJob } from "../../src/schemas/job";
import { api, json } from "./helpers";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Attempt {
  series: number;
  attempt: number;
  outcome: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  error: { name: string; message: string; retryable: boolean } | null;
}

export async function attemptsOf(key: string, id: string): Promise<Attempt[]> {
  return (await json<{ items: Attempt[] }>(await api(`/jobs/${id}/attempts`, { key }), 200)).items;
}

export async function logsOf(key: string, id: string): Promise<string[]> {
  const { items } = await json<{ items: { message: string; attempt: number }[] }>(await api(`/jobs/${id}/logs`, { key }), 200);
  return items.map((l) => l.message);
}

/** The job's D1 row as it is stored (not as the API renders it). */
export async function jobRow(id: string): Promise<JobRow> {
  const row = await database(env).select().from(jobs).where(eq(jobs.id, id)).get();
  if (!row) throw new Error(`no row for ${id}`);
  return row;
}

export async function updateJobRow(id: string, values: Partial<JobRow>): Promise<void> {
  await database(env).update(jobs).set(values).where(eq(jobs.id, id)).run();
}

/**
 * Writes a job straight into D1 the way the API would, but sends no queue message: the test
 * decides when (and how often) its message is delivered, or plays a message that was lost.
 */
export async function insertJob(
  tenant: string,
  request: Partial<SubmitJob> & { type: string },
  overrides: Partial<JobRow> = {},
): Promise<JobRow> {
  const now = Date.now();
  // Ids start with their creation time, as the engine makes them (retention relies on it).
  const createdAt = overrides.createdAt ?? now;
  const [prepared] = prepareJobs(tenant, [{ priority: "normal", tags: [], input: {}, ...request } as SubmitJob], createdAt, () => "");
  // A far-future dispatch time keeps the sweeper from announcing the job on its own.
  const row: JobRow = { ...prepared!, runAt: now, dispatchDueAt: now + 3_600_000, ...overrides };
  await database(env).insert(jobs).values(row).run();
  return row;
}

/** Records the attempt that a (now vanished) consumer started, as a claim would have: on the job row. */
export async function insertRunningAttempt(jobId: string, series: number, attempt: number, startedAt: number) {
  await database(env)
    .update(jobs)
    .set({ series, attempts: attempt, attemptStartedAt: startedAt, attemptOutcome: "running" })
    .where(eq(jobs.id, jobId))
    .run();
}

/** The worker's entry points, typed as the runtime calls them (with an ExecutionContext). */
export const handler: ExportedHandler<Env> = worker;

let messageCounter = 0;
export const message = (body: unknown, sentAt = new Date()) => ({
  id: `msg-${++messageCounter}-${crypto.randomUUID().slice(0, 8)}`,
  timestamp: sentAt,
  attempts: 1,
  body,
});

/** Runs the worker's real queue handler on a hand-made batch and returns its acks and retries. */
export async function deliver(bodies: unknown[], queue = "jobs-normal", sentAt = new Date()) {
  const batch = createMessageBatch(queue, bodies.map((body) => message(body, sentAt)));
  const ctx = createExecutionContext();
  await handler.queue!(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return { batch, result, ids: batch.messages.map((m) => m.id) };
}

export interface EventMessage {
  type: string;
  seq: number;
  [key: string]: any;
}

export interface Watcher {
  ws: WebSocket;
  messages: EventMessage[];
  /** Resolves with the close code once the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
  /** Waits until at least `count` messages have arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<EventMessage[]>;
  waitFor(check: (m: EventMessage) => boolean, timeoutMs?: number): Promise<EventMessage>;
}

/** Opens a websocket to a job's event stream through the worker's real fetch handler. */
export async function watch(key: string, jobId: string, query = ""): Promise<Watcher> {
  const res = await exports.default.fetch(`https://jobs.test/api/v1/jobs/${jobId}/events${query}`, {
    headers: { Upgrade: "websocket", Authorization: `Bearer ${key}` },
  });
  if (res.status !== 101 || !res.webSocket) throw new Error(`expected a websocket, got ${res.status}: ${await res.text()}`);
  const ws = res.webSocket;
  const messages: EventMessage[] = [];
  const listeners = new Set<() => void>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (e) => {
      resolve({ code: e.code, reason: e.reason });
      listeners.forEach((l) => l());
    });
  });
  ws.addEventListener("message", (e) => {
    messages.push(JSON.parse(String(e.data)) as EventMessage);
    listeners.forEach((l) => l());
  });
  ws.accept();

  const until = <T>(read: () => T | undefined, what: string, timeoutMs = 20_000) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = read();
        if (value !== undefined) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  return {
    ws,
    messages,
    closed,
    waitForCount: (count, timeoutMs) =>
      until(() => (messages.length >= count ? messages.slice() : undefined), `${count} messages`, timeoutMs),
    waitFor: (check, timeoutMs) => until(() => messages.find(check), "a matching message", timeoutMs),
  };
}

/** Waits for a socket to be closed by the server, failing after `timeoutMs`. */
export async function closedWithin(watcher: Watcher, timeoutMs = 20_000) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`socket not closed in ${timeoutMs} ms: ${JSON.stringify(watcher.messages)}`)), timeoutMs);
  });
  try {
    return await Promise.race([watcher.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface SseEvent {
  id: number;
  event: string;
  data: EventMessage;
}

/** Reads a whole SSE response (it ends when the job is final) and parses its events. */
export async function readSse(res: Response, timeoutMs = 20_000): Promise<SseEvent[]> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`SSE stream did not end in ${timeoutMs} ms`)), timeoutMs);
  });
  let text: string;
  try {
    text = await Promise.race([res.text(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return text
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return { id: Number(field("id")), event: field("event")!, data: JSON.parse(field("data")!) as EventMessage };
    });
}
