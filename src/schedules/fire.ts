import { and, asc, eq, isNotNull, lte } from "drizzle-orm";
import type { Principal } from "../auth/principal";
import { armClock } from "../clock/arm";
import { database, type JobRow } from "../db/client";
import { type RawSql, rawSql, rowsOf } from "../db/raw";
import { schedules } from "../db/schema";
import { InvalidInputError, QuotaExceededError, RateLimitedError } from "../errors";
import { type PreparedJob, type SubmitOutcome, prepareJobs, submitJobs } from "../engine/submit";
import { tenantJobTypes } from "../jobs/tenant-types";
import type { SubmitJob } from "../schemas/job";
import { QUOTAS, type QuotaName } from "../quotas/limits";
import { cancelPlannedJobs, scheduleTag } from "./cancel";
import { tenantTurn } from "./fairness";
import { HORIZON_MS, type PlannedRun, planRuns } from "./plan";
import { type ScheduleRow, jobTemplate } from "./store";

const MAX_SCHEDULES_PER_TICK = 100;
/** Schedules a tick fires side by side. */
const PARALLEL_SCHEDULES = 10;

interface RunRecord {
  instant: number;
  trigger: "schedule" | "catch_up" | "manual";
  jobId: string | null;
  /** Why the instant has no job (a rate limit or quota refused it, or its job is no longer accepted). */
  skippedReason: string | null;
}

/** Jobs a schedule fires are submitted by the schedule itself, not by the key that created it. */
const principalOf = (s: ScheduleRow): Principal => ({ tenant: s.tenant, scopes: ["jobs:write"], keyId: `schedule:${s.id}` });

/** The job for one instant. Its idempotency key lets the tenant hold only one job per instant. */
function jobRequest(s: ScheduleRow, instant: number, runAt: number): SubmitJob {
  const template = jobTemplate(s);
  return {
    ...template,
    tags: [...template.tags, scheduleTag(s.id)],
    idempotencyKey: `schedule:${s.id}:${instant}`,
    runAt: new Date(runAt).toISOString(),
  };
}

/** A schedule's runs count against its tenant's rate limits and quotas like any submission of its job. */
async function prepareRuns(env: Env, s: ScheduleRow, runs: Pick<PlannedRun, "instant" | "runAt">[], now: number) {
  const requests = runs.map((r) => jobRequest(s, r.instant, r.runAt));
  const types = await tenantJobTypes(env, s.tenant, [...new Set(requests.map((r) => r.type))]);
  return prepareJobs(s.tenant, requests, now, () => "job.", { types });
}

/** Records fired instants; an instant already recorded (by a duplicate tick) keeps its row. */
function insertRuns(sql: RawSql, s: ScheduleRow, records: RunRecord[], now: number) {
  return sql`
    INSERT INTO schedule_runs (schedule_id, instant, trigger, tenant, job_id, skipped_reason, created_at)
    SELECT ${s.id}, r.value->>'instant', r.value->>'trigger', ${s.tenant}, r.value->>'jobId', r.value->>'skippedReason', ${now}
    FROM json_each(${JSON.stringify(records)}) AS r
    WHERE EXISTS (SELECT 1 FROM schedules WHERE id = ${s.id})
    ON CONFLICT DO NOTHING`;
}

async function changedSince(env: Env, s: ScheduleRow): Promise<boolean> {
  const now = await database(env)
    .select({ updatedAt: schedules.updatedAt, enabled: schedules.enabled })
    .from(schedules)
    .where(eq(schedules.id, s.id))
    .get();
  return !now || now.enabled !== 1 || now.updatedAt !== s.updatedAt;
}

/** Fires a schedule that was just saved, and arms the clock that fires it from then on. */
export async function fireSchedule(env: Env, s: ScheduleRow, now: number): Promise<number> {
  await armClock(env);
  return fireRuns(env, s, now);
}

/**
 * One tick for one schedule: submits a job for every instant `planRuns` gives, with its instant
 * as `runAt` (the queue's message delay then starts it on its second, which is what gives 6-field
 * expressions their precision without a Durable Object alarm per schedule), records the runs and
 * advances `nextRunAt` only if no one else has. Each instant's idempotency key makes a duplicate or
 * concurrent tick find the same job instead of adding one. A tick that read a version of the
 * schedule that has since been changed, paused or deleted cancels the jobs it added. Returns how
 * many jobs it added.
 */
async function fireRuns(env: Env, s: ScheduleRow, now: number): Promise<number> {
  if (s.nextRunAt === null) return 0;
  const { runs, nextRunAt } = planRuns(s, now);
  const { records, created } = runs.length > 0 ? await submitRuns(env, s, runs, now) : { records: [], created: [] };
  const sql = rawSql(env.DB);
  const lastInstant = records.findLast((r) => r.jobId !== null)?.instant ?? null;
  const results = await env.DB.batch([
    sql`
      UPDATE schedules SET next_run_at = ${nextRunAt}, last_run_at = coalesce(max(last_run_at, ${lastInstant}), last_run_at, ${lastInstant})
      WHERE id = ${s.id} AND next_run_at = ${s.nextRunAt} AND updated_at = ${s.updatedAt} AND enabled = 1
      RETURNING id`,
    ...(records.length > 0 ? [insertRuns(sql, s, records, now)] : []),
  ]);
  if (rowsOf(results, 0).length === 0 && created.length > 0 && (await changedSince(env, s))) {
    await cancelPlannedJobs(env, s, now, created);
  }
  return created.length;
}

/**
 * Submits the runs' jobs, in order, as far as the tenant's rate limits and quotas admit them: the
 * runs' records (a job id, or why there is none) and the ids of the jobs that are new.
 */
async function submitRuns(env: Env, s: ScheduleRow, runs: PlannedRun[], now: number) {
  const record = (r: PlannedRun, jobId: string | null, skippedReason: string | null): RunRecord => ({ instant: r.instant, trigger: r.trigger, jobId, skippedReason });
  let rows: PreparedJob[];
  try {
    rows = await prepareRuns(env, s, runs, now);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    // The job type changed since the schedule was saved: the runs are recorded without a job.
    const first = (err.details as { path: string; message: string }[] | undefined)?.[0];
    console.error(`schedule ${s.id}: its job is no longer accepted`, JSON.stringify(first));
    const reason = `${err.code}: ${first ? `${first.path}: ${first.message}` : err.message}`;
    return { records: runs.map((r) => record(r, null, reason)), created: [] };
  }
  const { outcome, refusal } = await submitAdmitted(env, principalOf(s), rows);
  const jobs = outcome?.jobs ?? [];
  return {
    records: runs.map((r, i) => record(r, jobs[i]?.id ?? null, jobs[i] ? null : (refusal ?? null))),
    created: outcome ? jobs.filter((_, i) => outcome.created[i]).map((j) => j.id) : [],
  };
}

/** Why an instant was refused, the same for every instant a rule or quota refuses (not the batch's message). */
function refusalReason(err: RateLimitedError | QuotaExceededError): string {
  if (err instanceof QuotaExceededError) {
    const { quota, limit } = err.details as { quota: QuotaName; limit: number };
    return `${err.code}: quota of ${limit} ${QUOTAS[quota].unit} reached`;
  }
  const { action, key, limit, windowMs } = err.details as { action: string; key: string; limit: number; windowMs: number };
  return `${err.code}: rate limit reached for ${action}${key ? ` (${key})` : ""}: ${limit} per ${windowMs} ms`;
}

/** How many more submissions a refusal leaves room for, or undefined for an error that is not a refusal. */
function roomLeft(err: unknown): number | undefined {
  if (err instanceof RateLimitedError) return Number(err.rateLimitHeaders["RateLimit-Remaining"] ?? 0);
  if (err instanceof QuotaExceededError) {
    const { limit, used } = err.details as { limit: number; used: number };
    return Math.max(0, limit - used);
  }
  return undefined;
}

/**
 * Submits the longest prefix of `rows` that the rate limits and quotas admit (a refused submission
 * writes nothing, and its refusal says how much room is left), with the reason the rest were refused.
 */
async function submitAdmitted(env: Env, principal: Principal, rows: PreparedJob[]): Promise<{ outcome?: SubmitOutcome; refusal?: string }> {
  let refusal: string | undefined;
  for (let count = rows.length; count > 0; ) {
    try {
      return { outcome: await submitJobs(env, principal, rows.slice(0, count)), refusal };
    } catch (err) {
      // A secret the job refers to was deleted since the schedule was saved: nothing is submitted.
      if (err instanceof InvalidInputError) return { refusal: `${err.code}: ${err.message}` };
      const room = roomLeft(err);
      if (room === undefined) throw err;
      refusal = refusalReason(err as RateLimitedError | QuotaExceededError);
      count = Math.min(room, count - 1);
    }
  }
  return { refusal };
}

/** Submits the schedule's job now, outside its timing, recorded as a `manual` run. */
export async function triggerSchedule(env: Env, s: ScheduleRow, now: number): Promise<JobRow> {
  const rows = await prepareRuns(env, s, [{ instant: now, runAt: now }], now);
  const { jobs } = await submitJobs(env, principalOf(s), rows);
  const job = jobs[0]!;
  const sql = rawSql(env.DB);
  await env.DB.batch([
    insertRuns(sql, s, [{ instant: now, trigger: "manual", jobId: job.id, skippedReason: null }], now),
    sql`UPDATE schedules SET last_run_at = coalesce(max(last_run_at, ${now}), ${now}) WHERE id = ${s.id}`,
  ]);
  return job;
}

/**
 * The clock's tick: fires every enabled schedule with an instant due before the next tick, at most
 * MAX_SCHEDULES_PER_TICK of them taken round-robin by tenant (each tenant's most overdue first; the
 * rest wait for the next tick). One schedule failing does not stop the others.
 */
export async function fireDueSchedules(env: Env, now: number) {
  const due = await database(env)
    .select()
    .from(schedules)
    .where(and(eq(schedules.enabled, 1), isNotNull(schedules.nextRunAt), lte(schedules.nextRunAt, now + HORIZON_MS)))
    .orderBy(tenantTurn, asc(schedules.nextRunAt), asc(schedules.id))
    .limit(MAX_SCHEDULES_PER_TICK);
  const summary = { schedules: due.length, jobs: 0, failed: 0 };
  for (let i = 0; i < due.length; i += PARALLEL_SCHEDULES) {
    const group = due.slice(i, i + PARALLEL_SCHEDULES);
    const outcomes = await Promise.allSettled(group.map((s) => fireRuns(env, s, now)));
    outcomes.forEach((outcome, j) => {
      if (outcome.status === "fulfilled") summary.jobs += outcome.value;
      else {
        summary.failed += 1;
        console.error(`schedule ${group[j]!.id} did not fire; the next tick tries again`, outcome.reason);
      }
    });
  }
  return summary;
}
