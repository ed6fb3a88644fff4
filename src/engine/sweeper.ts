import { type RawSql, rawSql, rowsOf } from "../db/raw";
import { workflowInstanceId } from "../workflows/instance";
import { redispatch } from "./dispatch";
import type { Priority } from "./lanes";
import { promote } from "./gates";
import { settle } from "./settle";

/** How late a queue message may be before the sweeper assumes it was lost. */
export const DISPATCH_GRACE_MS = 30_000;
/** How long past its timeout a running job may go without a heartbeat before it counts as stuck. */
export const STUCK_GRACE_MS = 30_000;
/** A durable job's instance is asked for its status when its job row has been quiet this long. */
export const DURABLE_QUIET_MS = 120_000;
const SWEEP_LIMIT = 500;
const LIVE_INSTANCE_STATES = ["queued", "running", "waiting", "paused", "waitingForPause"];

interface QuietRow {
  id: string;
  priority: Priority;
  series: number;
  attempt: number;
  maxAttempts: number;
  backoff: string;
  durable: number;
  claimToken: string | null;
  gated: number;
}

/** Running jobs whose holder stopped heartbeating past their timeout: the consumer that ran them died. */
async function recoverStuck(env: Env, sql: RawSql, now: number): Promise<number> {
  const { results } = await sql`
    SELECT id, priority, series, attempts AS attempt, max_attempts AS maxAttempts, backoff, durable,
           claim_token AS claimToken, gated
    FROM jobs
    WHERE status = 'running' AND heartbeat_at < ${now} - timeout_ms - ${STUCK_GRACE_MS} AND durable = 0
    LIMIT ${SWEEP_LIMIT}`.all<QuietRow>();
  const settled = await settle(
    env,
    results
      .filter((r) => r.claimToken)
      .map((r) => ({
        job: { ...r, claimToken: r.claimToken! },
        result: {
          ok: false as const,
          timedOut: false,
          error: { name: "HeartbeatLost", message: "the worker running this attempt stopped responding", retryable: true },
        },
      })),
    [],
    now,
  );
  return settled.length;
}

async function instanceState(env: Env, jobId: string, series: number): Promise<string> {
  try {
    return (await (await env.DURABLE_JOB.get(workflowInstanceId(jobId, series))).status()).status;
  } catch {
    return "unknown";
  }
}

/**
 * Durable jobs whose rows have gone quiet: the Workflow instance is asked how it is. One that
 * ended without settling its job (terminated, errored, lost) has its attempt failed, and the job is
 * queued again as a new attempt series (a new instance) while it has attempts left.
 */
async function reconcileDurable(env: Env, sql: RawSql, now: number): Promise<number> {
  // Running ones by heartbeat; retrying ones (asleep in their backoff, no message due) by run_at.
  const quietSince = now - DURABLE_QUIET_MS;
  const [running, retrying] = await env.DB.batch([
    sql`SELECT id, priority, series, attempts AS attempt, max_attempts AS maxAttempts, backoff, durable,
               claim_token AS claimToken, gated
        FROM jobs WHERE status = 'running' AND heartbeat_at < ${quietSince} AND durable = 1 LIMIT ${SWEEP_LIMIT}`,
    sql`SELECT id, priority, series, attempts AS attempt, max_attempts AS maxAttempts, backoff, durable,
               claim_token AS claimToken, gated
        FROM jobs WHERE status IN ('queued', 'retrying') AND dispatch_due_at IS NULL AND status = 'retrying'
          AND durable = 1 AND run_at < ${quietSince} LIMIT ${SWEEP_LIMIT}`,
  ]);
  const results = [...rowsOf<QuietRow>([running!], 0), ...rowsOf<QuietRow>([retrying!], 0)];
  let recovered = 0;
  for (const row of results) {
    const state = await instanceState(env, row.id, row.series);
    if (LIVE_INSTANCE_STATES.includes(state)) {
      await sql`UPDATE jobs SET heartbeat_at = ${now} WHERE id = ${row.id} AND status IN ('running', 'retrying')`.run();
      continue;
    }
    const error = JSON.stringify({ name: "WorkflowLost", message: `workflow instance ended as ${state}`, retryable: true });
    await env.DB.batch([
      sql`UPDATE attempts SET outcome = 'failed', finished_at = ${now}, error = ${error}
          WHERE job_id = ${row.id} AND series = ${row.series} AND outcome = 'running'`,
      sql`UPDATE jobs SET status = 'queued', series = series + 1, attempts = 0, run_at = ${now}, dispatch_due_at = ${now},
                 claim_token = NULL, heartbeat_at = NULL, error = ${error}
          WHERE id = ${row.id} AND series = ${row.series} AND status IN ('running', 'retrying') AND attempts < max_attempts`,
      sql`UPDATE jobs SET status = 'failed', finished_at = ${now}, claim_token = NULL, heartbeat_at = NULL, error = ${error}
          WHERE id = ${row.id} AND series = ${row.series} AND status IN ('running', 'retrying')`,
      sql`INSERT INTO dead_letters (job_id, tenant, failed_at, error)
          SELECT id, tenant, ${now}, ${error} FROM jobs WHERE id = ${row.id} AND status = 'failed' AND finished_at = ${now}
          ON CONFLICT (job_id) DO NOTHING`,
    ]);
    recovered += 1;
  }
  return recovered;
}

/** Queued or retrying jobs whose queue message should have arrived by now: it was lost, so send again. */
async function redispatchOverdue(env: Env, sql: RawSql, now: number): Promise<number> {
  const { results: overdue } = await sql`
    SELECT id, priority, run_at AS runAt FROM jobs
    WHERE status IN ('queued', 'retrying')
      AND (dispatch_due_at IS NULL OR dispatch_due_at < ${now - DISPATCH_GRACE_MS})
      AND NOT (status = 'retrying' AND durable = 1 AND claim_token IS NULL AND dispatch_due_at IS NULL)
      AND NOT (gated = 1 AND dispatch_due_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM lanes WHERE lanes.name = jobs.priority AND lanes.paused = 1)
    LIMIT ${SWEEP_LIMIT}`.all<{ id: string; priority: Priority; runAt: number }>();
  await redispatch(env, overdue, now);
  return overdue.length;
}

/**
 * Parked gated jobs whose slot is free but whose promotion was lost (a crash between a settle and
 * its announcement, a job recovered above): promote them now.
 */
async function promoteParked(env: Env, sql: RawSql, now: number): Promise<number> {
  const { results } = await sql`
    SELECT id FROM jobs
    WHERE status IN ('queued', 'retrying') AND dispatch_due_at IS NULL AND gated = 1 AND run_at <= ${now}
    LIMIT ${SWEEP_LIMIT}`.all<{ id: string }>();
  await promote(env, results.map((r) => r.id), now);
  return results.length;
}

export interface SweepReport {
  stuck: number;
  durable: number;
  redispatched: number;
}

/** The Cron Trigger's work: D1 is the source of truth, and this brings the queues back in line with it. */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const sql = rawSql(env.DB);
  const stuck = await recoverStuck(env, sql, now);
  const durable = await reconcileDurable(env, sql, now);
  const redispatched = await redispatchOverdue(env, sql, now);
  await promoteParked(env, sql, now);
  return { stuck, durable, redispatched };
}
