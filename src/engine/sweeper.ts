import { type RawSql, SqlText, rawSql } from "../db/raw";
import { workflowInstanceId } from "../workflows/instance";
import { type Dispatchable, dispatchOrLeaveToSweeper, redispatch } from "./dispatch";
import { PRIORITIES, type Priority } from "./lanes";
import { AttemptTimeoutError, describeError } from "./errors";
import { settle } from "./settle";
import { DISPATCHABLE, type JobRow, jobColumn, jobFields } from "./store/columns";
import { promote } from "./store/gates";
import { type ExpiredWait, expiredWaitsStatement, forgetWaitsStatement } from "./store/open";
import { afterMoves } from "./store/moves";
import { failLost } from "./store/transitions";
import { TENANTS_WITH_JOBS } from "./tenants";

/** How late a queue message may be before the sweeper assumes it was lost. */
export const DISPATCH_GRACE_MS = 30_000;
/**
 * How long past its time limit a running job may go without a heartbeat before it counts as
 * stuck. Runners heartbeat every second, so this is slack for a slow D1, not for a live runner.
 */
export const STUCK_GRACE_MS = 15_000;
/** A durable job's instance is asked for its status once its job row has been quiet this long. */
export const DURABLE_QUIET_MS = 30_000;
const SWEEP_LIMIT = 500;
const LIVE_INSTANCE_STATES = ["queued", "running", "waiting", "paused", "waitingForPause"];

const QUIET = ["id", "priority", "series", "maxAttempts", "backoff", "durable", "claimToken", "gated", "timeoutMs", "status"] as const;

/** A quiet job, `quietSince` being its heartbeat (or, asleep in its backoff, when it was due). */
type QuietJob = Pick<JobRow, (typeof QUIET)[number]> & { attempt: JobRow["attempts"]; quietSince: number };

/** Running jobs, through each tenant's range of `jobs_tenant_status_id` (see tenants.ts). */
const RUNNING = new SqlText(TENANTS_WITH_JOBS);
/** Every lane, so that the waiting index (lane first) is read one lane's range at a time. */
const LANES = new SqlText(`(${PRIORITIES.map((p) => `'${p}'`).join(", ")})`);

const quietFields = (since: "heartbeatAt" | "runAt") =>
  new SqlText(`${jobFields(QUIET)}, jobs.${jobColumn("attempts")} AS "attempt", jobs.${jobColumn(since)} AS "quietSince"`);

/**
 * Direct jobs whose holder stopped heartbeating past their time limit: the consumer that ran
 * them died, and the attempt can no longer be running anywhere. Settled as a failed attempt.
 */
async function recoverStuck(env: Env, sql: RawSql, now: number): Promise<number> {
  const { results } = await sql`
    ${RUNNING} SELECT ${quietFields("heartbeatAt")} FROM tenants JOIN jobs ON jobs.tenant = tenants.tenant AND jobs.status = 'running'
    WHERE jobs.heartbeat_at < ${now} - jobs.timeout_ms - ${STUCK_GRACE_MS} AND jobs.durable = 0
    LIMIT ${SWEEP_LIMIT}`.all<QuietJob>();
  const lostHeartbeat = { name: "HeartbeatLost", message: "the worker running this attempt stopped responding", retryable: true };
  const settled = await settle(
    env,
    results
      .filter((r) => r.claimToken)
      .map((r) => ({ job: { ...r, claimToken: r.claimToken! }, result: { ok: false as const, timedOut: false, error: lostHeartbeat } })),
    [],
    now,
  );
  return settled.length;
}

/**
 * Attempts left open for a handler's callback (src/handlers/) whose time limit has passed: timed
 * out like any attempt that runs too long, then their waits are forgotten.
 */
async function timeOutOpenAttempts(env: Env, sql: RawSql, now: number): Promise<number> {
  const { results } = await expiredWaitsStatement(sql, now, SWEEP_LIMIT).all<ExpiredWait>();
  const timedOut = (r: ExpiredWait) => ({ ok: false as const, timedOut: true, error: describeError(new AttemptTimeoutError(r.timeoutMs)) });
  const settled = await settle(env, results.map((r) => ({ job: r, result: timedOut(r) })), [], now);
  if (results.length < SWEEP_LIMIT) await forgetWaitsStatement(sql, now).run();
  return settled.length;
}

/**
 * How many running jobs have had no heartbeat past their time limit, as `stuck`: `tenant`'s, through
 * its running range of `jobs_tenant_status_id`, or (`tenant` null) every tenant's of the database.
 */
export function countStuckStatement(sql: RawSql, tenant: string | null, now: number) {
  return tenant === null
    ? sql`
      ${RUNNING} SELECT count(*) AS stuck FROM tenants JOIN jobs ON jobs.tenant = tenants.tenant AND jobs.status = 'running'
      WHERE jobs.heartbeat_at < ${now} - jobs.timeout_ms - ${STUCK_GRACE_MS}`
    : sql`
      SELECT count(*) AS stuck FROM jobs
      WHERE jobs.tenant = ${tenant} AND jobs.status = 'running' AND jobs.heartbeat_at < ${now} - jobs.timeout_ms - ${STUCK_GRACE_MS}`;
}

/** Running jobs of a database with no heartbeat past their time limit (the health check's count). */
export async function countStuck(db: D1Database, now: number): Promise<number> {
  const row = await countStuckStatement(rawSql(db), null, now).first<{ stuck: number }>();
  return Number(row?.stuck ?? 0);
}

function instanceOf(env: Env, job: Pick<QuietJob, "id" | "series">) {
  return env.DURABLE_JOB.get(workflowInstanceId(job.id, job.series));
}

async function instanceState(env: Env, job: QuietJob): Promise<string> {
  try {
    return (await (await instanceOf(env, job)).status()).status;
  } catch {
    return "unknown";
  }
}

/**
 * Why a quiet durable job's instance counts as lost, or undefined while it may still be working:
 * it ended without settling its job, or it reports a live status but its job has shown no
 * heartbeat or step for longer than the job's time limit (a runtime that restarted leaves
 * instances that say "running" and never move again).
 */
async function lostBecause(env: Env, job: QuietJob, now: number): Promise<string | undefined> {
  const state = await instanceState(env, job);
  if (!LIVE_INSTANCE_STATES.includes(state)) return `workflow instance ended as ${state}`;
  if (job.quietSince >= now - job.timeoutMs - STUCK_GRACE_MS) return undefined;
  // Stopped for good, so it cannot wake up later and run a step the next instance runs too.
  await (await instanceOf(env, job)).terminate().catch(() => undefined);
  return `workflow instance reports ${state} but made no progress for ${Math.round((now - job.quietSince) / 1000)} s`;
}

/** Quiet durable jobs: running ones by heartbeat, retrying ones (asleep in their backoff) by when they were due. */
async function quietDurable(env: Env, sql: RawSql, now: number): Promise<QuietJob[]> {
  // Quiet for DURABLE_QUIET_MS, or past the job's time limit if that comes first.
  const [running, retrying] = await env.DB.batch<QuietJob>([
    sql`${RUNNING} SELECT ${quietFields("heartbeatAt")} FROM tenants JOIN jobs ON jobs.tenant = tenants.tenant AND jobs.status = 'running'
        WHERE jobs.durable = 1 AND jobs.heartbeat_at < ${now} - min(${DURABLE_QUIET_MS}, jobs.timeout_ms + ${STUCK_GRACE_MS})
        LIMIT ${SWEEP_LIMIT}`,
    sql`SELECT ${quietFields("runAt")} FROM jobs
        WHERE priority IN ${LANES} AND dispatch_due_at IS NULL AND status IN ('queued', 'retrying') AND status = 'retrying'
          AND durable = 1 AND run_at < ${now} - min(${DURABLE_QUIET_MS}, timeout_ms + ${STUCK_GRACE_MS}) LIMIT ${SWEEP_LIMIT}`,
  ]);
  return [...(running?.results ?? []), ...(retrying?.results ?? [])];
}

/**
 * Durable jobs whose instance was lost have their attempt failed; one with attempts left goes on
 * under a new instance from its first unfinished step (see `failLost`).
 */
async function reconcileDurable(env: Env, sql: RawSql, now: number): Promise<number> {
  let recovered = 0;
  for (const job of await quietDurable(env, sql, now)) {
    const reason = await lostBecause(env, job, now);
    if (!reason) continue;
    const error = JSON.stringify({ name: "WorkflowLost", message: reason, retryable: true });
    const moved = await failLost(sql, env.DB, { id: job.id, series: job.series, error }, now);
    const requeued = moved.filter((m) => m.status === "queued");
    // failLost recorded the message as due now: send it, or leave it overdue for the next sweep.
    await dispatchOrLeaveToSweeper(env, requeued.map((m) => ({ id: m.id, priority: job.priority as Priority, runAt: now })), now);
    await afterMoves(env, moved, now);
    recovered += moved.length;
  }
  return recovered;
}

/** Queued or retrying jobs whose queue message should have arrived by now: it was lost, so send again. */
async function redispatchOverdue(env: Env, sql: RawSql, now: number): Promise<number> {
  // Each lane's range of the waiting index up to the grace (no dispatch time sorts first).
  const { results: overdue } = await sql`
    SELECT ${DISPATCHABLE} FROM jobs
    WHERE priority IN ${LANES} AND status IN ('queued', 'retrying')
      AND (dispatch_due_at IS NULL OR dispatch_due_at < ${now - DISPATCH_GRACE_MS})
      AND NOT (status = 'retrying' AND durable = 1 AND claim_token IS NULL AND dispatch_due_at IS NULL)
      AND NOT (gated = 1 AND dispatch_due_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM lanes WHERE lanes.name = jobs.priority AND lanes.paused = 1)
    LIMIT ${SWEEP_LIMIT}`.all<Dispatchable>();
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
    WHERE priority IN ${LANES} AND dispatch_due_at IS NULL AND status IN ('queued', 'retrying') AND gated = 1 AND run_at <= ${now}
    LIMIT ${SWEEP_LIMIT}`.all<{ id: string }>();
  await promote(env, results.map((r) => r.id), now);
  return results.length;
}

export interface SweepReport {
  stuck: number;
  durable: number;
  redispatched: number;
}

/** The clock's work: D1 is the source of truth, and this brings the queues back in line with it. */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const sql = rawSql(env.DB);
  const stuck = (await timeOutOpenAttempts(env, sql, now)) + (await recoverStuck(env, sql, now));
  const durable = await reconcileDurable(env, sql, now);
  const redispatched = await redispatchOverdue(env, sql, now);
  await promoteParked(env, sql, now);
  return { stuck, durable, redispatched };
}
