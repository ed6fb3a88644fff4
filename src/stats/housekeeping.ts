import { fieldList } from "../db/columns";
import { rawSql } from "../db/raw";
import { housekeeping, tenantSettings } from "../db/schema";
import { DEFAULT_JOB_RETENTION_DAYS } from "../housekeeping/jobs";

/** What job housekeeping has deleted, and the retention it works to, as GET /stats shows it. */
export interface HousekeepingView {
  retentionDays: number;
  jobsDeleted: number;
  lastRunAt: number | null;
  lastDeleted: number;
}

const RETENTION = fieldList(tenantSettings, ["jobRetentionDays"], "s");
const HOUSEKEEPING = fieldList(housekeeping, ["jobsDeleted", "lastRunAt", "lastDeleted"], "h");
type Kept = Pick<typeof tenantSettings.$inferSelect, "jobRetentionDays"> &
  Pick<typeof housekeeping.$inferSelect, "jobsDeleted" | "lastRunAt" | "lastDeleted">;

/** One tenant's: its retention setting (or the default) and what the runs deleted. */
export async function tenantHousekeeping(db: D1Database, tenant: string): Promise<HousekeepingView> {
  // A tenant without settings or housekeeping rows reads nulls from the left joins.
  const kept = await rawSql(db)`
    SELECT ${RETENTION}, ${HOUSEKEEPING}
    FROM (SELECT ${tenant} AS tenant) t
    LEFT JOIN tenant_settings s ON s.tenant = t.tenant LEFT JOIN housekeeping h ON h.tenant = t.tenant`.first<{ [K in keyof Kept]: Kept[K] | null }>();
  return {
    retentionDays: kept?.jobRetentionDays ?? DEFAULT_JOB_RETENTION_DAYS,
    jobsDeleted: kept?.jobsDeleted ?? 0,
    lastRunAt: kept?.lastRunAt ?? null,
    lastDeleted: kept?.lastDeleted ?? 0,
  };
}

/**
 * Every tenant's, for the platform: the default retention, all deletions, and what the latest run
 * deleted (a run records every tenant it cleaned with the same time).
 */
export async function platformHousekeeping(databases: D1Database[]): Promise<HousekeepingView> {
  const rows = await Promise.all(
    databases.map((db) =>
      rawSql(db)`
        SELECT coalesce(sum(jobs_deleted), 0) AS jobsDeleted, max(last_run_at) AS lastRunAt,
          coalesce(sum(last_deleted) FILTER (WHERE last_run_at = (SELECT max(last_run_at) FROM housekeeping)), 0) AS lastDeleted
        FROM housekeeping`.first<{ jobsDeleted: number; lastRunAt: number | null; lastDeleted: number }>(),
    ),
  );
  const lastRunAt = rows.reduce<number | null>((latest, r) => (r?.lastRunAt != null && (latest === null || r.lastRunAt > latest) ? r.lastRunAt : latest), null);
  return {
    retentionDays: DEFAULT_JOB_RETENTION_DAYS,
    jobsDeleted: rows.reduce((n, r) => n + Number(r?.jobsDeleted ?? 0), 0),
    lastRunAt,
    lastDeleted: rows.filter((r) => r?.lastRunAt === lastRunAt).reduce((n, r) => n + Number(r?.lastDeleted ?? 0), 0),
  };
}
