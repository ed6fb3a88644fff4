import { rawSql, rowsOf } from "../db/raw";
import type { Priority } from "./lanes";
import { dispatchOrLeaveToSweeper } from "./dispatch";
import type { ErrorInfo } from "./errors";
import type { ProgressEvent } from "./events";
import { publishHeldProgress } from "./progress-relay";
import type { AttemptResult } from "./run-attempt";
import { type Backoff, backoffDelay } from "./retry";
import type { MovedJob } from "./store/columns";
import { announcePromoted, promoteStatement } from "./store/gates";
import { afterMoves } from "./store/moves";
import { type LogEntry, type SettledRow, type Settlement, logStatements, settleStatements } from "./store/settle";

export interface SettleInput {
  job: {
    id: string;
    claimToken: string;
    series: number;
    attempt: number;
    maxAttempts: number;
    backoff: string | null;
    priority: string;
    durable: number;
    /** 1 when the job holds a gate's slot: settling it may let a waiting job in. */
    gated?: number;
  };
  result: AttemptResult;
  progress?: { percent: number; stage: string | null; message: string | null };
  /** Progress the runner held back while nobody watched: sent before the status if someone now does. */
  heldProgress?: ProgressEvent[];
}

/** Applies the retry policy to a finished attempt. */
export function decide(input: SettleInput, now: number, random: () => number = Math.random): Settlement {
  const { job, result, progress } = input;
  const base = {
    id: job.id,
    token: job.claimToken,
    series: job.series,
    attempt: job.attempt,
    percent: progress?.percent ?? null,
    stage: progress?.stage ?? null,
    message: progress?.message ?? null,
  };
  if (result.ok) {
    return { ...base, status: "completed", outcome: "succeeded", result: result.result, error: null, runAt: null, dispatchDueAt: null };
  }
  const error: ErrorInfo = { name: result.error.name, message: result.error.message, retryable: result.error.retryable };
  const outcome = result.timedOut ? "timed_out" : "failed";
  if (!result.error.retryable || job.attempt >= job.maxAttempts) {
    return { ...base, status: "failed", outcome, result: null, error: JSON.stringify(error), runAt: null, dispatchDueAt: null };
  }
  const delay = Math.max(backoffDelay(JSON.parse(job.backoff ?? "{}") as Backoff, job.attempt, random), result.error.retryAfterMs ?? 0);
  const runAt = now + delay;
  // Durable jobs wait out their backoff inside the Workflow, so no queue message is due for them.
  const dispatchDueAt = job.durable ? null : runAt;
  return { ...base, status: "retrying", outcome, result: null, error: JSON.stringify(error), runAt, dispatchDueAt };
}

/**
 * Writes many finished attempts in one D1 batch, announces the retries on their lanes and tells
 * watched jobs' subscribers. Returns the settlements that took effect (a cancelled job's does not).
 */
export async function settle(
  env: Env,
  inputs: SettleInput[],
  logs: LogEntry[],
  now = Date.now(),
): Promise<Settlement[]> {
  if (inputs.length === 0 && logs.length === 0) return [];
  const settlements = inputs.map((i) => decide(i, now));
  const sql = rawSql(env.DB);
  const { jobUpdates, rest } = settleStatements(sql, settlements, now);
  const gated = inputs.filter((i) => i.job.gated === 1).map((i) => i.job.id);
  const results = await env.DB.batch([
    ...jobUpdates,
    ...rest,
    ...logStatements(sql, logs),
    ...(gated.length > 0 ? [promoteStatement(env.DB, gated, now)] : []),
  ]);
  if (gated.length > 0) await announcePromoted(env, results[results.length - 1]);

  const moved = new Map<string, SettledRow>();
  jobUpdates.forEach((_, i) => {
    for (const row of rowsOf<SettledRow>(results, i)) moved.set(row.id, row);
  });
  const effective = settlements.filter((s) => moved.has(s.id));
  const priorities = new Map(inputs.map((i) => [i.job.id, { priority: i.job.priority as Priority, durable: i.job.durable }]));
  const retries = effective
    .filter((s) => s.status === "retrying" && !priorities.get(s.id)?.durable)
    .map((s) => ({ id: s.id, priority: priorities.get(s.id)!.priority, runAt: s.runAt! }));
  if (retries.length > 0) await dispatchOrLeaveToSweeper(env, retries, now);
  await publishHeldProgress(env, inputs, (id) => moved.get(id)?.watched === 1);
  const movedJobs: MovedJob[] = effective.map((s) => {
    const { tenant, type, priority, watched, feed, hooked } = moved.get(s.id)!;
    return { id: s.id, tenant, type, priority, status: s.status, attempts: s.attempt, watched, feed, hooked, gated: 0, error: s.error };
  });
  await afterMoves(env, movedJobs, now, { promoted: true });
  return effective;
}
