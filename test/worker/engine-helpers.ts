import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { vi } from "vitest";
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { database, type JobRow } from "../../src/db/client";
import { jobs } from "../../src/db/schema";
import { everyDatabase, forEveryDatabase } from "../../src/db/shards";
import { type SweepReport, sweep } from "../../src/engine/sweeper";
import { fireDueSchedules } from "../../src/schedules/fire";
import { prepareJobs } from "../../src/engine/submit";
import worker from "../../src/index";
import type { SubmitJob } from "../../src/schemas/job";
import { ROLLUP_LAG_MS } from "../../src/stats/rollup";
import { api, envOf, json } from "./helpers";

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

/** The D1 shard that holds job `id` (the tests run with two, see vitest.config.ts), if any does. */
export async function shardOfJob(id: string): Promise<{ binding: string; db: D1Database } | undefined> {
  for (const shard of everyDatabase(env)) {
    if (await shard.db.prepare("SELECT 1 FROM jobs WHERE id = ?").bind(id).first()) return shard;
  }
  return undefined;
}

/** The job's D1 row as it is stored (not as the API renders it). */
export async function jobRow(id: string): Promise<JobRow> {
  const shard = await shardOfJob(id);
  const row = shard && (await database({ DB: shard.db }).select().from(jobs).where(eq(jobs.id, id)).get());
  if (!row) throw new Error(`no row for ${id}`);
  return row;
}

export async function updateJobRow(id: string, values: Partial<JobRow>): Promise<void> {
  for (const { db } of everyDatabase(env)) await database({ DB: db }).update(jobs).set(values).where(eq(jobs.id, id)).run();
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
  await database(envOf(tenant)).insert(jobs).values(row).run();
  return row;
}

/** Records the attempt that a (now vanished) consumer started, as a claim would have: on the job row. */
export async function insertRunningAttempt(jobId: string, series: number, attempt: number, startedAt: number) {
  await updateJobRow(jobId, { series, attempts: attempt, attemptStartedAt: startedAt, attemptOutcome: "running" });
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

/**
 * A job message as the producer sends it: one naming only ids gets the database of its first job
 * (as `dispatch` names it), or the platform's when no database holds it.
 */
async function withDatabase(body: unknown): Promise<unknown> {
  const ids = (body as { ids?: unknown })?.ids;
  if (!Array.isArray(ids) || (body as { db?: unknown }).db !== undefined || typeof ids[0] !== "string") return body;
  return { ...(body as object), db: (await shardOfJob(ids[0]))?.binding ?? "DB" };
}

/** Runs the worker's real queue handler on a hand-made batch and returns its acks and retries. */
export async function deliver(bodies: unknown[], queue = "jobs-normal", sentAt = new Date()) {
  const withDatabases = await Promise.all(bodies.map(withDatabase));
  const batch = createMessageBatch(queue, withDatabases.map((body) => message(body, sentAt)));
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
export function watch(key: string, jobId: string, query = ""): Promise<Watcher> {
  return openWatcher(`https://jobs.test/api/v1/jobs/${jobId}/events${query}`, key);
}

/** Opens a websocket to the tenant's live feed (GET /api/v1/events). */
export function watchFeed(key: string, query = ""): Promise<Watcher> {
  return openWatcher(`https://jobs.test/api/v1/events${query}`, key);
}

async function openWatcher(url: string, key: string): Promise<Watcher> {
  const res = await exports.default.fetch(url, { headers: { Upgrade: "websocket", Authorization: `Bearer ${key}` } });
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

/** Numeric reports of every shard, added up field by field. */
function added<T extends object>(reports: T[]): T {
  const total = { ...reports[0]! } as Record<string, unknown>;
  for (const report of reports.slice(1)) {
    for (const [field, value] of Object.entries(report)) {
      if (typeof value === "number") total[field] = (total[field] as number) + value;
    }
  }
  return total as T;
}

/** The sweeper in every shard, as the clock's tick runs it. */
export async function sweepEveryShard(now = Date.now()): Promise<SweepReport> {
  return added(await forEveryDatabase(env, (shard) => sweep(shard, now)));
}

/** Fires due schedules in every shard, as the clock's tick does. */
export async function fireEveryShard(now: number) {
  return added(await forEveryDatabase(env, (shard) => fireDueSchedules(shard, now)));
}

/**
 * The real tick as it runs a minute from now: its roll-ups pass every job and finish there is, the
 * ones just made too. Only the clock the tick reads is moved, not its slot, so later ticks still
 * take the lease; and it returns once the real clock has passed the watermark.
 */
export async function tickAMinuteLater() {
  const now = Date.now();
  vi.useFakeTimers({ toFake: ["Date"], now: now + ROLLUP_LAG_MS + 1 });
  try {
    await handler.scheduled!(createScheduledController({ scheduledTime: now, cron: "* * * * *" }), env, createExecutionContext());
  } finally {
    vi.useRealTimers();
  }
  while (Date.now() <= now + 1) await sleep(1);
}
