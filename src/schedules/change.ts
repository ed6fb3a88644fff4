import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { scheduleRuns, schedules } from "../db/schema";
import { ConflictError, NotFoundError } from "../errors";
import { cancelPlannedJobs } from "./cancel";
import { fireSchedule } from "./fire";
import type { ScheduleRow } from "./store";
import { firstInstantAfter } from "./times";

/** Fields whose change makes the jobs planned so far wrong. */
const PLAN_FIELDS = ["cron", "timezone", "intervalMs", "job", "enabled", "startsAt", "endsAt"] as const;

/**
 * Writes a changed schedule. When its timing, job or state changed, its planned jobs that have not
 * started are cancelled and it is planned again from `now` (a resumed schedule does not catch up on
 * its pause). Every write moves `updated_at`, so a tick that read the old version fails to advance
 * it and cancels the jobs it added.
 */
export async function rewriteSchedule(env: Env, db: Database, current: ScheduleRow, next: ScheduleRow, now: number): Promise<void> {
  const replan = PLAN_FIELDS.some((f) => current[f] !== next[f]);
  const [written] = await db
    .update(schedules)
    .set({
      name: next.name,
      cron: next.cron,
      timezone: next.timezone,
      intervalMs: next.intervalMs,
      job: next.job,
      enabled: next.enabled,
      startsAt: next.startsAt,
      endsAt: next.endsAt,
      misfire: next.misfire,
      catchUpLimit: next.catchUpLimit,
      updatedAt: Math.max(now, current.updatedAt + 1),
      ...(replan ? { nextRunAt: next.enabled === 1 ? firstInstantAfter(next, now) : null } : {}),
    })
    .where(and(eq(schedules.id, current.id), eq(schedules.updatedAt, current.updatedAt)))
    .returning();
  if (!written) throw new ConflictError("conflict", "the schedule changed meanwhile; read it again and retry");
  if (!replan) return;
  await cancelPlannedJobs(env, written, now);
  if (written.enabled === 1) await fireSchedule(env, written, now);
}

/** Deletes a schedule and its history, cancelling its planned jobs that have not started. */
export async function deleteSchedule(env: Env, db: Database, tenant: string, id: string, now: number): Promise<void> {
  const [deleted] = await db
    .delete(schedules)
    .where(and(eq(schedules.id, id), eq(schedules.tenant, tenant)))
    .returning({ id: schedules.id, tenant: schedules.tenant });
  if (!deleted) throw new NotFoundError(`schedule ${id}`);
  await cancelPlannedJobs(env, deleted, now);
  await db.delete(scheduleRuns).where(eq(scheduleRuns.scheduleId, id));
}
