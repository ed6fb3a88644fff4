import type { RawSql } from "../db/raw";
import type { Deliveries } from "./deliveries";
import { findJobDefinition } from "../jobs/index";
import { AttemptTimeoutError, JobCancelledError, NonRetryableError, describeError } from "./errors";
import { publish } from "./events";
import { runAttempt } from "./run-attempt";
import { type SettleInput, settle } from "./settle";
import { type ClaimedJob, type LogEntry, heartbeatStatement } from "./state";

export const HEARTBEAT_MS = 1_000;
const SETTLE_FAILED_RETRY_SECONDS = 5;
const MAX_LOGS_PER_ATTEMPT = 1_000;

interface Running {
  job: ClaimedJob;
  /** Stops the attempt (set as it starts). */
  stop?: (reason: Error) => void;
  watched: boolean;
  progress?: { percent: number; stage: string | null; message: string | null };
  logs: number;
}

/**
 * Runs claimed single-step jobs side by side in this consumer invocation. A heartbeat each second
 * proves they are alive, writes their throttled progress, notices cancellations (the job's row no
 * longer holds this claim) and settles the attempts that finished meanwhile; the rest are settled
 * together at the end, in one D1 batch.
 */
export async function runDirect(
  env: Env,
  sql: RawSql,
  jobs: ClaimedJob[],
  deliveries: Deliveries,
) {
  if (jobs.length === 0) return;
  const running = new Map<string, Running>(
    jobs.map((job) => [job.id, { job, watched: job.watched === 1, logs: 0 }]),
  );
  let finished: SettleInput[] = [];
  let logs: LogEntry[] = [];

  const flush = async () => {
    const [batch, batchLogs] = [finished, logs];
    [finished, logs] = [[], []];
    if (batch.length === 0 && batchLogs.length === 0) return;
    try {
      await settle(env, batch, batchLogs);
      batch.forEach((s) => deliveries.ack(s.job.id));
    } catch (err) {
      console.error("settling attempts failed; the sweeper will recover them", err);
      batch.forEach((s) => deliveries.retry(s.job.id, SETTLE_FAILED_RETRY_SECONDS));
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
      if (!row && running.has(r.job.id)) r.stop?.(new JobCancelledError());
      else if (row) r.watched = row.watched === 1;
    }
  };

  // One timer per distinct time limit rather than one per attempt: the attempts all started now,
  // and a consumer batch's jobs mostly share their limit.
  const limitTimers = [...new Set(jobs.map((j) => j.timeoutMs))].map((ms) =>
    setTimeout(() => {
      for (const r of running.values()) if (r.job.timeoutMs === ms) r.stop?.(new AttemptTimeoutError(ms));
    }, ms),
  );

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
            env,
            stoppable: (stop) => (state.stop = stop),
            runnerKeepsTimeLimit: true,
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
  limitTimers.forEach(clearTimeout);
  done = true;
  wake();
  await ticker;
  await flush();
}
