import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { schedules } from "../db/schema";
import { NotFoundError } from "../errors";
import { iso } from "../engine/job-view";
import type { Schedule, ScheduleJob } from "../schemas/schedule";
import { viewOfInput } from "../secrets/redact";
import { instantsAfter } from "./times";

export type ScheduleRow = typeof schedules.$inferSelect;

export async function findSchedule(db: Database, tenant: string, id: string): Promise<ScheduleRow> {
  const row = await db.select().from(schedules).where(and(eq(schedules.id, id), eq(schedules.tenant, tenant))).get();
  if (!row) throw new NotFoundError(`schedule ${id}`);
  return row;
}

export const jobTemplate = (row: ScheduleRow) => JSON.parse(row.job) as ScheduleJob;

/** The job template as views show it: credential headers given inline are redacted, as in job views. */
function viewOfTemplate(row: ScheduleRow): ScheduleJob {
  const job = jobTemplate(row);
  return job.input === undefined ? job : { ...job, input: viewOfInput(JSON.stringify(job.input)) };
}

const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** A D1 schedule row as the API shows it, with its next five run times after `now`. */
export function toSchedule(row: ScheduleRow, now: number): Schedule {
  const active = row.enabled === 1 && row.nextRunAt !== null;
  return {
    id: row.id,
    name: row.name,
    cron: row.cron,
    intervalMs: row.intervalMs,
    timezone: row.timezone,
    job: viewOfTemplate(row),
    enabled: row.enabled === 1,
    startsAt: isoOrNull(row.startsAt),
    endsAt: isoOrNull(row.endsAt),
    misfire: row.misfire,
    catchUpLimit: row.catchUpLimit,
    nextRunAt: isoOrNull(row.nextRunAt),
    lastRunAt: isoOrNull(row.lastRunAt),
    nextRuns: active ? instantsAfter(row, now, 5).map(iso) : [],
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
