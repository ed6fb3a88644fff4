import { and, asc, eq, isNotNull, lte } from "drizzle-orm";
import type { Principal } from "../auth/principal";
import { armClock } from "../clock/arm";
import { database, type JobRow } from "../db/client";
import { type RawSql, rawSql, rowsOf } from "../db/raw";
import { schedules } from "../db/schema";
import { InvalidInputError } from "../errors";
import { prepareJobs, submitJobs } from "../engine/submit";
import type { SubmitJob } from "../schemas/job";
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

/** Planned runs are the platform's own submissions: rate limits (for API callers) do not refuse them. */
const prepareRuns = (s: ScheduleRow, runs: Pick<PlannedRun, "instant" | "runAt">[], now: number, rated = false) =>
  prepareJobs(s.tenant, runs.map((r) => jobRequest(s, r.instant, r.runAt)), now, () => "job.", rated ? {} : { rate: null });

/** Records fired instants; an instant already recorded (by a duplicate tick) keeps its row. */
function insertRuns(sql: RawSql, s: ScheduleRow, records: RunRecord[], now: number) {
  return sql`
    INSERT INTO schedule_runs (schedule_id, instant, trigger, tenant, job_id, created_at)
    SELECT ${s.id}, r.value->>'instant', r.value->>'trigger', ${s.tenant}, r.value->>'jobId', ${now}
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
  const { jobIds, created } = runs.length > 0 ? await submitRuns(env, s, runs, now) : { jobIds: [], created: [] };
  const sql = rawSql(env.DB);
  const lastInstant = runs.at(-1)?.instant ?? null;
  const results = await env.DB.batch([
    sql`
      UPDATE schedules SET next_run_at = ${nextRunAt}, last_run_at = coalesce(max(last_run_at, ${lastInstant}), last_run_at, ${lastInstant})
      WHERE id = ${s.id} AND next_run_at = ${s.nextRunAt} AND updated_at = ${s.updatedAt} AND enabled = 1
      RETURNING id`,
    ...(runs.length > 0 ? [insertRuns(sql, s, runs.map((r, i) => ({ instant: r.instant, trigger: r.trigger, jobId: jobIds[i] ?? null })), now)] : []),
  ]);
  if (rowsOf(results, 0).length === 0 && created.length > 0 && (await changedSince(env, s))) {
    await cancelPlannedJobs(env, s, now, created);
  }
  return created.length;
}

/** Submits the runs' jobs: every run's job id (null when the job is no longer accepted) and the ids that are new. */
async function submitRuns(env: Env, s: ScheduleRow, runs: PlannedRun[], now: number) {
  let rows: ReturnType<typeof prepareRuns>;
  try {
    rows = prepareRuns(s, runs, now);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    // The job type changed since the schedule was saved: the runs are recorded without a job.
    console.error(`schedule ${s.id}: its job is no longer accepted`, JSON.stringify((err.details as unknown[] | undefined)?.[0]));
    return { jobIds: runs.map(() => null), created: [] };
  }
  const outcome = await submitJobs(env, principalOf(s), rows);
  return {
    jobIds: outcome.jobs.map((j): string | null => j.id),
    created: outcome.jobs.filter((_, i) => outcome.created[i]).map((j) => j.id),
  };
}

/** Submits the schedule's job now, outside its timing, recorded as a `manual` run. */
export async function triggerSchedule(env: Env, s: ScheduleRow, now: number): Promise<JobRow> {
  const rows = prepareRuns(s, [{ instant: now, runAt: now }], now, true);
  const { jobs } = await submitJobs(env, principalOf(s), rows);
  const job = jobs[0]!;
  const sql = rawSql(env.DB);
  await env.DB.batch([
    insertRuns(sql, s, [{ instant: now, trigger: "manual", jobId: job.id }], now),
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
