import { rawSql, rowsOf } from "../db/raw";
import type { MovedJob } from "../engine/store/columns";
import { afterMoves } from "../engine/store/moves";
import { cancelPlannedStatement } from "../engine/store/removal";
import type { ScheduleRow } from "./store";

export const scheduleTag = (scheduleId: string) => `schedule:${scheduleId}`;

/**
 * Cancels a schedule's planned jobs that have not started (queued, due after `now`), or only
 * those of `onlyJobIds`, and forgets their instants: the run rows go and the jobs give up their
 * idempotency keys, so a re-planned instant gets a fresh job. Jobs not yet due hold no
 * concurrency slot or place in line, so unlike `cancelJob` nothing waiting needs promoting.
 * Returns the cancelled job ids.
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
      DELETE FROM schedule_runs WHERE schedule_id = ${schedule.id} AND job_id IN (
        SELECT j.id FROM job_tags t JOIN jobs j ON j.id = t.job_id
        WHERE t.tenant = ${schedule.tenant} AND t.tag = ${tag} AND j.status = 'queued' AND j.run_at > ${now}
          AND (${only} IS NULL OR j.id IN (SELECT value FROM json_each(${only}))))`,
    cancelPlannedStatement(sql, schedule.tenant, tag, now, only),
  ]);
  const rows = rowsOf<MovedJob>(results, 1);
  await afterMoves(env, rows, now);
  return rows.map((r) => r.id);
}
