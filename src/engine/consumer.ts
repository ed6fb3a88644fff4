import { type RawSql, SqlText, rawSql, rowsOf } from "../db/raw";
import { armClock } from "../clock/arm";
import { Deliveries } from "./deliveries";
import { bindingOf, everyDatabase, onDatabase } from "../db/shards";
import { JOB_MESSAGE_VERSION, type JobMessage, JobMessageSchema, dispatch, redispatch } from "./dispatch";
import { publishAll } from "./events";
import { publishToFeeds, statusItem } from "./feed";
import { newId } from "./ids";
import { type Priority, laneOfQueue } from "./lanes";
import { runDirect } from "./run-direct";
import { claim, dueWithoutConsumer } from "./store/claim";
import { type ClaimedJob, type JobRow, jobFields } from "./store/columns";
import { holdBackStatements, promote } from "./store/gates";
import { parkOnPausedLane } from "./store/waiting";
import { type DurableJobParams, INLINE_INPUT_LIMIT, workflowInstanceId } from "../workflows/instance";

/** The most jobs one consumer invocation claims; messages beyond it are announced again. */
export const MAX_JOBS_PER_INVOCATION = 1_000;
const CLAIM_FAILED_RETRY_SECONDS = 5;
const UNSEEN_RETRY_SECONDS = 1;
const NEWER_MESSAGE_RETRY_SECONDS = 30;

/**
 * The queue consumer for every lane. One consumer batch costs two D1 round trips per database it
 * names in the common case: one claims every due job the batch names, one settles them all;
 * per-message round trips are what limits throughput on D1. Each message names the database
 * (shard) its jobs are in, and each database's share of the batch is claimed and run side by side.
 * `tenants` gets how many of the jobs it found are each tenant's (the usage ledger splits by it).
 */
export async function consumeBatch(batch: MessageBatch<unknown>, env: Env, tenants = new Map<string, number>()): Promise<void> {
  const lane = laneOfQueue(batch.queue);
  const byDatabase = new Map<string, Deliveries>();
  const overflow: Message<JobMessage>[] = [];
  let taken = 0;
  for (const message of batch.messages) {
    const parsed = JobMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      console.error("dropping a malformed job message", message.id, message.body);
      message.ack();
    } else if (parsed.data.v > JOB_MESSAGE_VERSION) {
      // Sent by a newer deployment while this one still runs (a gradual rollout): it is for that one.
      console.warn(`leaving a version ${parsed.data.v} job message to a newer deployment`, message.id);
      message.retry({ delaySeconds: NEWER_MESSAGE_RETRY_SECONDS });
    } else if (taken > 0 && taken + parsed.data.ids.length > MAX_JOBS_PER_INVOCATION && lane) {
      overflow.push(message as Message<JobMessage>);
    } else {
      const deliveries = byDatabase.get(parsed.data.db) ?? new Deliveries();
      deliveries.add(message, parsed.data.ids);
      byDatabase.set(parsed.data.db, deliveries);
      taken += parsed.data.ids.length;
    }
  }
  if (lane) await announceAgain(env, overflow, lane);
  if (taken === 0) return;
  // A platform with work to do has a ticking clock: its sweeper recovers what a crash leaves behind.
  const arming = env.CLOCK_ARMS_ON_USE === "false" ? undefined : armClock(env).catch((err) => console.error("arming the clock failed", err));
  const claims = [...byDatabase].map(([binding, deliveries]) => claimAndStart(env, binding, deliveries, lane, tenants));
  const started = await Promise.all(claims);
  const own = Promise.all(started.map((s) => s.running)).then(() => undefined);
  const claimedCount = started.reduce((n, s) => n + s.claimed, 0);
  await Promise.all([own, arming, lane ? takeOverWhile(env, lane, own, MAX_JOBS_PER_INVOCATION - claimedCount, tenants) : undefined]);
}

/** Claims one database's share of a batch and starts what it got; `running` settles when they are done. */
async function claimAndStart(platformEnv: Env, binding: string, deliveries: Deliveries, lane: Priority | undefined, tenants: Map<string, number>) {
  const ids = deliveries.jobIds;
  const now = Date.now();
  let env: Env;
  let claimed: ClaimedJob[];
  try {
    env = onDatabase(platformEnv, binding);
    claimed = await claim(env.DB, ids, newId("claim", now), now);
  } catch (err) {
    console.error(`claiming jobs in ${binding} failed; the batch will be redelivered`, err);
    for (const id of ids) deliveries.retry(id, CLAIM_FAILED_RETRY_SECONDS);
    return { claimed: 0, running: Promise.resolve() };
  }
  const sql = rawSql(env.DB);
  const claimedIds = new Set(claimed.map((j) => j.id));
  const unclaimed = ids.filter((id) => !claimedIds.has(id));
  if (unclaimed.length > 0) {
    const unseen = await deferUnclaimed(env, sql, unclaimed, deliveries, lane, now, tenants);
    for (const id of unclaimed) {
      // Waits grow with the message's age: a job whose write D1 does not show yet (a replica behind
      // its primary) shows up within moments, while a deleted one never will.
      if (unseen.has(id)) deliveries.retry(id, Math.max(UNSEEN_RETRY_SECONDS, Math.ceil((now - deliveries.lastSentAt(id)) / 2_000)));
      else deliveries.ack(id);
    }
  }
  return { claimed: claimed.length, running: start(env, sql, claimed, deliveries, tenants) };
}

/** Tells watchers the claimed jobs run, hands durable ones to their Workflows and runs the rest here. */
async function start(env: Env, sql: RawSql, claimed: ClaimedJob[], deliveries: Deliveries, tenants: Map<string, number>) {
  for (const job of claimed) countJob(tenants, job.tenant);
  await Promise.all([
    publishAll(
      env,
      claimed
        .filter((j) => j.watched === 1)
        .map((j) => ({ jobId: j.id, events: [{ type: "status", status: "running", attempt: j.attempt }] })),
    ),
    publishToFeeds(env, claimed.filter((j) => j.feed === 1).map((j) => statusItem({ ...j, status: "running" }))),
  ]);
  const durable = claimed.filter((j) => j.durable === 1);
  await startWorkflows(env, durable);
  durable.forEach((j) => deliveries.ack(j.id));
  await runDirect(env, sql, claimed.filter((j) => j.durable !== 1), deliveries);
}

/** An invocation whose own jobs still run after this long looks for due jobs stuck behind it. */
export const TAKE_OVER_AFTER_MS = 250;
const TAKE_OVER_LIMIT = 100;

/**
 * While this invocation's jobs run long, due jobs of its lane whose messages have not been
 * delivered (a queue hands a consumer its next batch only when the last one is answered, so they
 * wait behind the slowest job) are claimed and started here (direct ones run here, durable ones get
 * their Workflow), every TAKE_OVER_AFTER_MS: a tenant's
 * slow jobs never hold up another's fast one. Their messages, when they come, find them taken.
 */
async function takeOverWhile(env: Env, lane: Priority, own: Promise<void>, budget: number, tenants: Map<string, number>) {
  let ended = false;
  const end = own.then(() => (ended = true), () => (ended = true));
  const taken: Promise<void>[] = [];
  let left = budget;
  while (left > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([end, new Promise((resolve) => (timer = setTimeout(resolve, TAKE_OVER_AFTER_MS)))]);
    clearTimeout(timer);
    if (ended) break;
    // Every database's jobs queue behind this invocation, not only those of the databases it serves.
    for (const { binding } of everyDatabase(env)) {
      if (left <= 0) break;
      const shardEnv = onDatabase(env, binding);
      const sql = rawSql(shardEnv.DB);
      const now = Date.now();
      const ids = await dueWithoutConsumer(sql, lane, now, TAKE_OVER_AFTER_MS, Math.min(TAKE_OVER_LIMIT, left)).catch(() => []);
      if (ids.length === 0) continue;
      const claimed = await claim(shardEnv.DB, ids, newId("claim", now), now).catch(() => []);
      left -= claimed.length;
      if (claimed.length > 0) taken.push(start(shardEnv, sql, claimed, new Deliveries(), tenants));
    }
  }
  await Promise.all(taken);
}

/**
 * Messages beyond what one invocation takes go back on the queue as new messages, so an
 * invocation stays bounded and other consumers can take them.
 */
async function announceAgain(env: Env, messages: Message<JobMessage>[], lane: Priority) {
  if (messages.length === 0) return;
  const now = Date.now();
  for (const message of messages) {
    try {
      const { ids, db } = JobMessageSchema.parse(message.body);
      await dispatch(onDatabase(env, db), ids.map((id) => ({ id, priority: lane, runAt: now })), now);
      message.ack();
    } catch (err) {
      console.warn("announcing the overflow of a consumer batch failed; it will be redelivered", err);
      message.retry();
    }
  }
}

const UNCLAIMED_FIELDS = ["id", "tenant", "status", "durable", "runAt", "priority"] as const;
const UNCLAIMED = new SqlText(jobFields(UNCLAIMED_FIELDS));

/** How long a message may name a job that D1 does not show yet (a read that lags the write). */
const UNSEEN_JOB_PATIENCE_MS = 60_000;

/**
 * Jobs that claimed nothing: duplicates, finished or cancelled jobs (dropped), jobs not yet due
 * (sent again with the remaining delay), jobs on a paused lane (parked until resume), and jobs not
 * in D1 yet (messages go out after the write, but a read may lag it: retried for a while).
 * Returns the ids whose messages should be retried.
 */
async function deferUnclaimed(
  env: Env,
  sql: RawSql,
  ids: string[],
  deliveries: Deliveries,
  lane: Priority | undefined,
  now: number,
  tenants: Map<string, number>,
) {
  const idsJson = JSON.stringify(ids);
  const results = await env.DB.batch([
    ...holdBackStatements(env.DB, idsJson, now),
    sql`
      SELECT ${UNCLAIMED} FROM jobs
      WHERE id IN (SELECT value FROM json_each(${idsJson}))`,
  ]);
  const waitingForSlot = rowsOf<{ id: string }>(results, 0).map((r) => r.id);
  const rows = rowsOf<Pick<JobRow, (typeof UNCLAIMED_FIELDS)[number]>>(results, 2);
  for (const row of rows) countJob(tenants, row.tenant);
  const waiting = rows.filter((r) => r.status === "queued" || (r.status === "retrying" && r.durable === 0));
  // Held back by a throttle: due again later, like any early job.
  const early = waiting.filter((r) => r.runAt > now);
  const held = new Set(waitingForSlot);
  const parked = waiting.filter((r) => r.runAt <= now && !held.has(r.id));
  // The slots these wait for may be free for better-ranked parked jobs than these.
  await promote(env, waitingForSlot, now);
  await redispatch(env, early, now);
  if (parked.length > 0) {
    // Parked: no message is due for them. Resuming the lane (or the sweeper) announces them again.
    await parkOnPausedLane(sql, parked.map((r) => r.id));
    console.log(`lane ${lane ?? "?"} is paused: parked ${parked.length} jobs until it resumes`);
  }
  const known = new Set(rows.map((r) => r.id));
  return new Set(ids.filter((id) => !known.has(id) && now - deliveries.lastSentAt(id) < UNSEEN_JOB_PATIENCE_MS));
}

const countJob = (tenants: Map<string, number>, tenant: string) => tenants.set(tenant, (tenants.get(tenant) ?? 0) + 1);

const CREATE_BATCH_LIMIT = 100;

/**
 * Hands claimed durable jobs to their Workflow instances, a hundred per call. An instance that
 * cannot be created (it exists from an earlier delivery, or the call failed) is left to the
 * sweeper, which reconciles the job with its instance's status.
 */
async function startWorkflows(env: Env, jobs: ClaimedJob[]) {
  for (let i = 0; i < jobs.length; i += CREATE_BATCH_LIMIT) {
    const instances = jobs.slice(i, i + CREATE_BATCH_LIMIT).map((job) => {
      const { tenant, type, input, attempt, maxAttempts, timeoutMs, backoff, priority, watched, gated } = job;
      const snapshot = { tenant, type, input, attempt, maxAttempts, timeoutMs, backoff, priority, watched, gated };
      const params: DurableJobParams = { jobId: job.id, series: job.series, claimToken: job.claimToken, db: bindingOf(env) };
      return {
        id: workflowInstanceId(job.id, job.series),
        params: input.length <= INLINE_INPUT_LIMIT ? { ...params, job: snapshot } : params,
      };
    });
    try {
      const { errors } = await env.DURABLE_JOB.createBatch({ instances });
      if (errors.length > 0) console.warn("some workflow instances were not created", errors);
    } catch (err) {
      console.warn("creating workflow instances failed", err);
    }
  }
}
