import { type RawSql, rawSql, rowsOf } from "../db/raw";
import { JobMessageSchema, redispatch } from "./dispatch";
import { publishAll } from "./events";
import { newId } from "./ids";
import { type Priority, laneOfQueue } from "./lanes";
import { runDirect } from "./run-direct";
import { type ClaimedJob, claimStatements } from "./state";
import { type DurableJobParams, INLINE_INPUT_LIMIT, workflowInstanceId } from "../workflows/instance";

/**
 * The queue consumer for every lane. One consumer batch costs two D1 round trips in the common
 * case: one claims every due job of the batch, one settles them all; per-message round trips are
 * what limits throughput on D1.
 */
export async function consumeBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const sql = rawSql(env.DB);
  const byId = new Map<string, Message<unknown>[]>();
  for (const message of batch.messages) {
    const parsed = JobMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      console.error("dropping a malformed job message", message.id, message.body);
      message.ack();
      continue;
    }
    byId.set(parsed.data.id, [...(byId.get(parsed.data.id) ?? []), message]);
  }
  if (byId.size === 0) return;
  const ack = (id: string) => byId.get(id)?.forEach((m) => m.ack());
  const retry = (id: string) => byId.get(id)?.forEach((m) => m.retry({ delaySeconds: 5 }));

  const now = Date.now();
  const token = newId("claim", now);
  let claimed: ClaimedJob[];
  try {
    claimed = rowsOf<ClaimedJob>(await env.DB.batch(claimStatements(sql, [...byId.keys()], token, now)), 0);
  } catch (err) {
    console.error("claiming jobs failed; the batch will be redelivered", err);
    for (const id of byId.keys()) retry(id);
    return;
  }

  const claimedIds = new Set(claimed.map((j) => j.id));
  const unclaimed = [...byId.keys()].filter((id) => !claimedIds.has(id));
  if (unclaimed.length > 0) {
    const unseen = await deferUnclaimed(env, sql, unclaimed, byId, laneOfQueue(batch.queue), now);
    for (const id of unclaimed) {
      if (unseen.has(id)) byId.get(id)?.forEach((m) => m.retry({ delaySeconds: 1 }));
      else ack(id);
    }
  }

  await publishAll(
    env,
    claimed
      .filter((j) => j.watched === 1)
      .map((j) => ({ jobId: j.id, events: [{ type: "status", status: "running", attempt: j.attempt }] })),
  );
  const durable = claimed.filter((j) => j.durable === 1);
  await startWorkflows(env, durable);
  durable.forEach((j) => ack(j.id));

  await runDirect(env, sql, claimed.filter((j) => j.durable !== 1), ack, retry);
}

/** How long a message may name a job that D1 does not show yet (its submit is still writing). */
const UNSEEN_JOB_PATIENCE_MS = 60_000;

/**
 * Messages that claimed nothing: duplicates, finished or cancelled jobs (dropped), jobs not yet
 * due (sent again with the remaining delay), jobs on a paused lane (parked until resume), and jobs
 * not in D1 yet (submits send their message while the row is being written: retried for a while).
 * Returns the ids whose messages should be retried.
 */
async function deferUnclaimed(env: Env, sql: RawSql, ids: string[], messages: Map<string, Message<unknown>[]>, lane: Priority | undefined, now: number) {
  const { results: rows } = await sql`
    SELECT id, status, durable, run_at AS runAt, priority FROM jobs
    WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`.all<{
    id: string;
    status: string;
    durable: number;
    runAt: number;
    priority: Priority;
  }>();
  const waiting = rows.filter((r) => r.status === "queued" || (r.status === "retrying" && r.durable === 0));
  const early = waiting.filter((r) => r.runAt > now);
  const parked = waiting.filter((r) => r.runAt <= now);
  await redispatch(env, early, now);
  if (parked.length > 0) {
    // Parked: no message is due for them. Resuming the lane (or the sweeper) announces them again.
    await sql`UPDATE jobs SET dispatch_due_at = NULL
              WHERE id IN (SELECT value FROM json_each(${JSON.stringify(parked.map((r) => r.id))}))
                AND +status IN ('queued', 'retrying')`.run();
    console.log(`lane ${lane ?? "?"} is paused: parked ${parked.length} jobs until it resumes`);
  }
  const known = new Set(rows.map((r) => r.id));
  return new Set(
    ids.filter((id) => !known.has(id) && (messages.get(id) ?? []).some((m) => now - m.timestamp.getTime() < UNSEEN_JOB_PATIENCE_MS)),
  );
}

const CREATE_BATCH_LIMIT = 100;

/**
 * Hands claimed durable jobs to their Workflow instances, a hundred per call. An instance that
 * cannot be created (it exists from an earlier delivery, or the call failed) is left to the
 * sweeper, which reconciles the job with its instance's status.
 */
async function startWorkflows(env: Env, jobs: ClaimedJob[]) {
  for (let i = 0; i < jobs.length; i += CREATE_BATCH_LIMIT) {
    const instances = jobs.slice(i, i + CREATE_BATCH_LIMIT).map((job) => {
      const { tenant, type, input, attempt, maxAttempts, timeoutMs, backoff, priority, watched } = job;
      const snapshot = { tenant, type, input, attempt, maxAttempts, timeoutMs, backoff, priority, watched };
      const params: DurableJobParams = { jobId: job.id, series: job.series, claimToken: job.claimToken };
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
