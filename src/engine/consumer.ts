import { type RawSql, rawSql, rowsOf } from "../db/raw";
import { findJobDefinition } from "../jobs/index";
import { JobMessageSchema, redispatch } from "./dispatch";
import { JobCancelledError, NonRetryableError, describeError } from "./errors";
import { publish, publishAll } from "./events";
import { newId } from "./ids";
import { type Priority, laneOfQueue } from "./lanes";
import { runAttempt } from "./run-attempt";
import { type SettleInput, settle } from "./settle";
import { type ClaimedJob, type LogEntry, claimStatements, heartbeatStatement } from "./state";
import { type DurableJobParams, INLINE_INPUT_LIMIT, workflowInstanceId } from "../workflows/instance";

export const HEARTBEAT_MS = 1_000;
const MAX_LOGS_PER_ATTEMPT = 1_000;

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

interface Running {
  job: ClaimedJob;
  cancel: AbortController;
  watched: boolean;
  progress?: { percent: number; stage: string | null; message: string | null };
  logs: number;
}

/** Runs single-step jobs side by side, heartbeating and settling them in shared D1 batches. */
async function runDirect(
  env: Env,
  sql: RawSql,
  jobs: ClaimedJob[],
  ack: (id: string) => void,
  retry: (id: string) => void,
) {
  if (jobs.length === 0) return;
  const running = new Map<string, Running>(
    jobs.map((job) => [job.id, { job, cancel: new AbortController(), watched: job.watched === 1, logs: 0 }]),
  );
  let finished: SettleInput[] = [];
  let logs: LogEntry[] = [];

  const flush = async () => {
    const [batch, batchLogs] = [finished, logs];
    [finished, logs] = [[], []];
    if (batch.length === 0 && batchLogs.length === 0) return;
    try {
      await settle(env, batch, batchLogs);
      batch.forEach((s) => ack(s.job.id));
    } catch (err) {
      console.error("settling attempts failed; the sweeper will recover them", err);
      batch.forEach((s) => retry(s.job.id));
    }
  };

  const beat = async () => {
    const live = [...running.values()];
    if (live.length === 0) return;
    const beats = live.map((r) => ({
      id: r.job.id,
      token: r.job.claimToken,
      percent: r.progress?.percent ?? null,
      stage: r.progress?.stage ?? null,
      message: r.progress?.message ?? null,
    }));
    const { results } = await heartbeatStatement(sql, beats, Date.now()).all<{ id: string; watched: number }>();
    const alive = new Map(results.map((row) => [row.id, row]));
    for (const r of live) {
      const row = alive.get(r.job.id);
      if (!row && running.has(r.job.id)) r.cancel.abort(new JobCancelledError());
      else if (row) r.watched = row.watched === 1;
    }
  };

  let done = false;
  let wake = () => {};
  const ticker = (async () => {
    while (!done) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, HEARTBEAT_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (done) break;
      try {
        await beat();
        await flush();
      } catch (err) {
        console.error("heartbeat failed", err);
      }
    }
  })();

  await Promise.all(
    jobs.map(async (job) => {
      const state = running.get(job.id)!;
      const definition = findJobDefinition(job.type);
      const result = definition
        ? await runAttempt(definition, { id: job.id, tenant: job.tenant, attempt: job.attempt, input: job.input, timeoutMs: job.timeoutMs }, {
            cancelled: state.cancel.signal,
            progress: async (percent, detail) => {
              state.progress = { percent, stage: detail.stage ?? null, message: detail.message ?? null };
              if (state.watched) {
                await publish(env, job.id, [{ type: "progress", attempt: job.attempt, ...state.progress, at: new Date().toISOString() }]);
              }
            },
            log: (level, message) => {
              if (state.logs++ < MAX_LOGS_PER_ATTEMPT) logs.push({ jobId: job.id, at: Date.now(), attempt: job.attempt, level, message });
            },
            step: () => Promise.reject(new NonRetryableError(`job type ${job.type} must be declared durable to use ctx.step`)),
            sleep: () => Promise.reject(new NonRetryableError(`job type ${job.type} must be declared durable to use ctx.sleep`)),
          })
        : { ok: false as const, timedOut: false, error: describeError(new NonRetryableError(`unknown job type "${job.type}"`)) };
      running.delete(job.id);
      finished.push({ job, result, progress: state.progress });
    }),
  );
  done = true;
  wake();
  await ticker;
  await flush();
}
