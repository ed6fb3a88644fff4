import { type RawSql, SqlText } from "../db/raw";
import { jobs } from "../db/schema";
import { PRIORITIES } from "../engine/lanes";
import { jobDefinitions } from "../jobs";
import type { jobRollups } from "../db/schema";

/**
 * How many jobs there are by status, type and priority, without counting history: the roll-ups
 * hold every job below the watermark (see migration 0016 and rollup.ts), and the jobs above it,
 * created in the last minute or two, are counted through the indexes that start with the tenant.
 * `tenant` null counts every tenant of the database (the platform's view); the jobs above the
 * watermark are then a range of the primary key.
 *
 * Each function gives statements for the caller's batch, so that roll-ups, watermark and the jobs
 * above it are read in one transaction and no job is counted twice or missed.
 */

export const JOB_STATUSES = jobs.status.enumValues;
export type JobStatus = (typeof JOB_STATUSES)[number];

const WATERMARK = new SqlText("(SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')");
const ALL_STATUSES = new SqlText(`(${JOB_STATUSES.map((s) => `'${s}'`).join(", ")})`);
const ALL_PRIORITIES = new SqlText(`(${PRIORITIES.map((p) => `'${p}'`).join(", ")})`);
const JOB_TYPES = JSON.stringify(jobDefinitions.map((d) => d.type));

/** A roll-up row summed over tenants: per type and priority, a count per status. */
export type RolledRow = Omit<typeof jobRollups.$inferSelect, "tenant">;

/** The rolled-up jobs per type and priority (summed over tenants for the platform). */
export function rolledStatement(sql: RawSql, tenant: string | null) {
  const sums = new SqlText(JOB_STATUSES.map((s) => `sum(${s}) AS ${s}`).join(", "));
  return tenant === null
    ? sql`SELECT type, priority, ${sums} FROM job_rollups GROUP BY type, priority`
    : sql`SELECT type, priority, ${sums} FROM job_rollups WHERE tenant = ${tenant} GROUP BY type, priority`;
}

/** Jobs above the watermark per status: one range of `jobs_tenant_status_id` per status, index only. */
export function recentByStatusStatement(sql: RawSql, tenant: string | null) {
  return tenant === null
    ? sql`SELECT status, count(*) AS n FROM jobs WHERE id >= ${WATERMARK} GROUP BY status`
    : sql`SELECT status, count(*) AS n FROM jobs WHERE tenant = ${tenant} AND status IN ${ALL_STATUSES} AND id >= ${WATERMARK} GROUP BY status`;
}

/**
 * Jobs above the watermark per type and priority: one range of `jobs_tenant_type_priority_id` per
 * job type the tenant can submit (the built-in ones and its handlers') and priority, index only.
 */
export function recentByTypeStatement(sql: RawSql, tenant: string | null) {
  return tenant === null
    ? sql`SELECT type, priority, count(*) AS n FROM jobs WHERE id >= ${WATERMARK} GROUP BY type, priority`
    : sql`
      SELECT type, priority, count(*) AS n FROM jobs
      WHERE tenant = ${tenant} AND priority IN ${ALL_PRIORITIES}
        AND type IN (SELECT value FROM json_each(${JOB_TYPES}) UNION ALL SELECT type FROM job_handlers WHERE tenant = ${tenant})
        AND id >= ${WATERMARK}
      GROUP BY type, priority`;
}

/** Live jobs above the watermark per priority: waiting (queued or retrying) and running. */
export function recentLiveStatement(sql: RawSql, tenant: string | null) {
  const sums = new SqlText("sum(status <> 'running') AS waiting, sum(status = 'running') AS running");
  return tenant === null
    ? sql`SELECT priority, ${sums} FROM jobs WHERE id >= ${WATERMARK} AND status IN ('queued', 'retrying', 'running') GROUP BY priority`
    : sql`
      SELECT priority, ${sums} FROM jobs
      WHERE tenant = ${tenant} AND status IN ('queued', 'retrying', 'running') AND id >= ${WATERMARK} GROUP BY priority`;
}

/** Adds `n` under `key`, keeping out keys that stay at zero. */
export function addTo(record: Record<string, number>, key: string, n: number) {
  if (n !== 0) record[key] = (record[key] ?? 0) + n;
}
