import { rawSql, rowsOf } from "../db/raw";
import type { MovedJob } from "../engine/store/columns";
import { afterMoves } from "../engine/store/moves";
import { cancelPlannedStatement } from "../engine/store/removal";
import type { ScheduleRow } from "./store";

export const scheduleTag = (scheduleId: string) => `schedule:${scheduleId}`;

/**
 * Cancels a schedule's planned jobs that have not started (queued, due after `now`), or only
 * those of `onlyJobIds`, and forgets their instants: the run rows go, the jobs give up their
 * idempotency keys and their places in the tenant's rate-limit windows, so a re-planned instant
 * gets a fresh job and the same allowance, never a second job on top. A full re-plan (no
 * `onlyJobIds`) also forgets the future instants recorded as skipped, so they are planned afresh.
 * Jobs not yet due hold no concurrency slot or place in line, so unlike `cancelJob` nothing
 * waiting needs promoting. Returns the cancelled job ids.
 */
export async function cancelPlannedJobs(
  env: Env,
  schedule: Pick<ScheduleRow, "id" | "tenant">,
  now: number,
  onlyJobIds?: string[],
): Promise<string[]> {
  const sql = rawSql(env.DB);
  const tag = scheduleTag(schedule.id);
  const only = onlyJobIds ? JSON.stringify(onlyJobIds) : null;
  const results = await env.DB.batch([
    sql`
      DELETE FROM rate_limit_hits WHERE tenant = ${schedule.tenant} AND job_id IN (
        SELECT j.id FROM job_tags t JOIN jobs j ON j.id = t.job_id
        WHERE t.tenant = ${schedule.tenant} AND t.tag = ${tag} AND j.status = 'queued' AND j.run_at > ${now}
          AND (${only} IS NULL OR j.id IN (SELECT value FROM json_each(${only}))))`,
    sql`
      DELETE FROM schedule_runs WHERE schedule_id = ${schedule.id} AND job_id IN (
        SELECT j.id FROM job_tags t JOIN jobs j ON j.id = t.job_id
        WHERE t.tenant = ${schedule.tenant} AND t.tag = ${tag} AND j.status = 'queued' AND j.run_at > ${now}
          AND (${only} IS NULL OR j.id IN (SELECT value FROM json_each(${only}))))`,
    sql`DELETE FROM schedule_runs WHERE schedule_id = ${schedule.id} AND job_id IS NULL AND instant > ${now} AND ${only} IS NULL`,
    cancelPlannedStatement(sql, schedule.tenant, tag, now, only),
  ]);
  const rows = rowsOf<MovedJob>(results, 3);
  await afterMoves(env, rows, now);
  return rows.map((r) => r.id);
}
