import { z } from "@hono/zod-openapi";
import { rawSql } from "../db/raw";
import { PLATFORM_BINDING, bindingOf } from "../db/shards";
import { type LaneBinding, type Priority, laneBinding } from "./lanes";
import { markDispatched } from "./store/waiting";

/** The longest a queue message can be delayed; later runs are re-delayed on delivery. */
export const MAX_DELAY_SECONDS = 12 * 3600;
const SEND_BATCH_LIMIT = 100;
/**
 * One message announces up to this many jobs due at the same time on the same queue: a batch
 * submit of 1,000 jobs costs 10 queue operations instead of 1,000, and a consumer invocation gets
 * hundreds of jobs to claim and settle with the same two D1 round trips.
 */
export const MAX_JOBS_PER_MESSAGE = 100;

/**
 * The version of the message shape this worker sends. Version 2 names its database; version 1 (sent
 * before sharding, with no `v`) did not, and is still consumed. A message of a later version comes
 * from a newer deployment and goes back on the queue for it (see `consumeBatch`).
 */
export const JOB_MESSAGE_VERSION = 2;

export const JobMessageSchema = z.object({
  v: z.number().int().min(1).default(1),
  ids: z.array(z.string().min(1)).min(1).max(MAX_JOBS_PER_MESSAGE),
  /** The D1 binding that holds the jobs (src/db/shards.ts); messages sent before sharding name none. */
  db: z.string().min(1).max(64).default(PLATFORM_BINDING),
});
export type JobMessage = z.input<typeof JobMessageSchema>;

export interface Dispatchable {
  id: string;
  priority: Priority;
  runAt: number;
}

export function delaySeconds(runAt: number, now: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((runAt - now) / 1000)));
}

/** When the message sent now for a job due at `runAt` should arrive. */
export function dispatchDueAt(runAt: number, now: number): number {
  return now + delaySeconds(runAt, now) * 1000;
}

/**
 * Announces jobs on their lanes' queues: jobs for the same queue and delay share a message, and
 * messages go out with one `sendBatch` per queue and hundred messages. The jobs are in `env`'s
 * database, which each message names.
 */
export async function dispatch(env: Env, jobs: Dispatchable[], now = Date.now()): Promise<void> {
  const db = bindingOf(env);
  const groups = new Map<string, { binding: LaneBinding; delay: number; ids: string[] }>();
  for (const job of jobs) {
    const binding = laneBinding(job.priority, job.id);
    const delay = delaySeconds(job.runAt, now);
    const key = `${binding} ${delay}`;
    const group = groups.get(key) ?? { binding, delay, ids: [] };
    group.ids.push(job.id);
    groups.set(key, group);
  }
  const byQueue = new Map<LaneBinding, MessageSendRequest<JobMessage>[]>();
  for (const { binding, delay, ids } of groups.values()) {
    const messages = byQueue.get(binding) ?? [];
    for (let i = 0; i < ids.length; i += MAX_JOBS_PER_MESSAGE) {
      messages.push({ body: { v: JOB_MESSAGE_VERSION, ids: ids.slice(i, i + MAX_JOBS_PER_MESSAGE), db }, contentType: "json", delaySeconds: delay });
    }
    byQueue.set(binding, messages);
  }
  const sends: Promise<unknown>[] = [];
  for (const [binding, messages] of byQueue) {
    for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
      sends.push(env[binding].sendBatch(messages.slice(i, i + SEND_BATCH_LIMIT)));
    }
  }
  await Promise.all(sends);
}

/**
 * Dispatch for callers whose jobs are already safe in D1: a failed send leaves the job with an
 * overdue dispatch time, and the sweeper announces it again.
 */
export async function dispatchOrLeaveToSweeper(env: Env, jobs: Dispatchable[], now = Date.now()): Promise<void> {
  try {
    await dispatch(env, jobs, now);
  } catch (err) {
    console.error(`dispatching ${jobs.length} jobs failed; the sweeper will announce them`, err);
  }
}

/** Records when each job's new message is due, then sends it: for jobs whose earlier message is gone. */
export async function redispatch(env: Env, jobs: Dispatchable[], now = Date.now()): Promise<void> {
  if (jobs.length === 0) return;
  await markDispatched(rawSql(env.DB), jobs.map((j) => ({ id: j.id, at: dispatchDueAt(j.runAt, now) })));
  await dispatch(env, jobs, now);
}
