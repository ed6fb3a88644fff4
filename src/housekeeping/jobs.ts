import { rawSql, rowsOf } from "../db/raw";
import { idLowerBoundSql } from "../engine/ids";
import { pruneStatement } from "../engine/rate-limits";
import { TENANTS_WITH_JOBS } from "../engine/tenants";
import { forgetExpiredStatement } from "../stats/retention";
import { deleteFinishedStatements } from "../engine/store/removal";
import { deleteArtefacts, deleteProducedUploads } from "./artefacts";

/** Retention of finished jobs for tenants that did not choose one. */
export const DEFAULT_JOB_RETENTION_DAYS = 30;
/** Jobs deleted per D1 batch; their ids travel as one JSON parameter, so D1's limits are far away. */
export const JOBS_PER_BATCH = 500;
/**
 * Jobs and tenants per run, so that a run stays well inside a request's D1 query and subrequest
 * limits whatever the backlog; the next runs do the rest.
 */
export const JOBS_PER_RUN = 2_000;
export const TENANTS_PER_RUN = 50;
const DAY_MS = 86_400_000;

/**
 * Tenants with finished jobs past their retention, least recently cleaned first so that one
 * tenant's large backlog cannot starve the others. With `?3` only that tenant, even with nothing due.
 */
const DUE_TENANTS = `
  ${TENANTS_WITH_JOBS},
  chosen(tenant) AS (SELECT tenant FROM tenants WHERE tenant IS NOT NULL AND ?3 IS NULL UNION SELECT ?3 WHERE ?3 IS NOT NULL),
  retention AS (
    SELECT t.tenant, ?1 - coalesce(s.job_retention_days, ?2) * ${DAY_MS} AS cutoff, h.last_run_at
    FROM chosen t LEFT JOIN tenant_settings s ON s.tenant = t.tenant LEFT JOIN housekeeping h ON h.tenant = t.tenant
  )
  SELECT tenant, cutoff FROM retention r
  WHERE ?3 IS NOT NULL OR EXISTS (${EXPIRED("r.tenant", "r.cutoff")})
  ORDER BY last_run_at NULLS FIRST, tenant LIMIT ?4`;

/**
 * A tenant's finished jobs that are past `cutoff`, through `jobs_tenant_status_id`: a job finishes
 * after it was created, so only ids created before the cutoff are read.
 */
function EXPIRED(tenant: string, cutoff: string) {
  return `SELECT id FROM jobs WHERE tenant = ${tenant} AND status IN ('completed', 'failed', 'cancelled')
    AND id < ${idLowerBoundSql("job", cutoff)} AND finished_at < ${cutoff}`;
}

/** One batch of a tenant's expired jobs. */
export const EXPIRED_JOBS = `${EXPIRED("?1", "?2")} LIMIT ?3`;

export interface CleanupOptions {
  now?: number;
  /** Only this tenant; all tenants when absent. */
  tenant?: string;
  batchSize?: number;
  maxJobs?: number;
  maxTenants?: number;
}

/**
 * Deletes finished jobs older than their tenant's retention with everything that belongs to them,
 * at most `maxJobs` jobs of `maxTenants` tenants per run, and records per tenant what it deleted.
 * `more` says the run stopped at a cap, so jobs may be left for the next one.
 */
export async function cleanUpJobs(env: Env, options: CleanupOptions = {}) {
  const { now = Date.now(), tenant = null, batchSize = JOBS_PER_BATCH, maxJobs = JOBS_PER_RUN, maxTenants = TENANTS_PER_RUN } = options;
  const { results: due } = await env.DB.prepare(DUE_TENANTS)
    .bind(now, DEFAULT_JOB_RETENTION_DAYS, tenant, maxTenants + 1)
    .all<{ tenant: string; cutoff: number }>();
  if (tenant === null) await pruneStatement(env.DB, now).run();
  const total = { tenants: 0, jobs: 0, attempts: 0, logs: 0, artefacts: 0, more: false };
  for (const t of due) {
    if (total.jobs >= maxJobs || total.tenants === maxTenants) {
      total.more = true;
      break;
    }
    const done = await cleanUpTenant(env, t.tenant, t.cutoff, now, batchSize, maxJobs - total.jobs);
    await record(env, t.tenant, done.jobs, now);
    total.tenants += 1;
    total.jobs += done.jobs;
    total.attempts += done.attempts;
    total.logs += done.logs;
    total.artefacts += done.artefacts;
    total.more = done.more;
  }
  return total;
}

/** Deletes up to `budget` of the tenant's expired jobs, a batch at a time. */
async function cleanUpTenant(env: Env, tenant: string, cutoff: number, now: number, batchSize: number, budget: number) {
  const done = { jobs: 0, attempts: 0, logs: 0, artefacts: 0, more: false };
  while (done.jobs < budget) {
    const limit = Math.min(batchSize, budget - done.jobs);
    const { results } = await env.DB.prepare(EXPIRED_JOBS).bind(tenant, cutoff, limit).all<{ id: string }>();
    if (results.length === 0) break;
    const batch = await deleteJobs(env, tenant, cutoff, now, results.map((r) => r.id));
    done.jobs += batch.jobs;
    done.attempts += batch.attempts;
    done.logs += batch.logs;
    done.artefacts += batch.artefacts;
    // Fewer than asked: the tenant is done (or some job was retried meanwhile; the next run sees).
    if (batch.jobs < limit) return done;
  }
  done.more = done.jobs >= budget;
  return done;
}

/**
 * One D1 batch (a transaction) deletes the jobs that still qualify, then the rows of theirs that
 * no longer have a job: a job retried since it was selected keeps everything. R2 objects go after
 * the rows, so nothing is deleted for a job that stayed. A unary `+` keeps SQLite on the primary
 * key instead of scanning the tenant's whole expired range in `jobs_tenant_status_id`.
 */
async function deleteJobs(env: Env, tenant: string, cutoff: number, now: number, ids: string[]) {
  const sql = rawSql(env.DB);
  const doomed = JSON.stringify(ids);
  const removed = deleteFinishedStatements(sql, tenant, cutoff, doomed);
  const results = await env.DB.batch([
    deleteProducedUploads(sql, tenant, cutoff, doomed),
    removed.tags,
    // The roll-ups (src/stats/) forget what is deleted, in the same transaction.
    forgetExpiredStatement(sql, tenant, cutoff, doomed),
    removed.jobs,
    removed.attempts,
    removed.logs,
    ...removed.rest,
    sql`DELETE FROM batch_items WHERE job_id IN (SELECT value FROM json_each(${doomed})) AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = batch_items.job_id)`,
    // Deleted rather than cleared, as the scheduler forgets runs itself (src/schedules/cancel.ts):
    // these instants lie before their schedule's next run and never fire again, and the run history
    // then spans what the job history does. No job_id index: the tenant's schedules bound the scan.
    sql`
      DELETE FROM schedule_runs WHERE schedule_id IN (SELECT id FROM schedules WHERE tenant = ${tenant})
        AND job_id IN (SELECT value FROM json_each(${doomed})) AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = schedule_runs.job_id)`,
    // A hit that a tenant's rule (windows reach 7 days, retention may be 1) still counts stays:
    // deleting it would hand the tenant its capacity back early. The limiter prunes it later.
    sql`
      DELETE FROM rate_limit_hits WHERE tenant = ${tenant}
        AND job_id IN (SELECT value FROM json_each(${doomed})) AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = rate_limit_hits.job_id)
        AND NOT EXISTS (SELECT 1 FROM rate_limit_rules r
                        WHERE r.tenant = rate_limit_hits.tenant AND r.action = rate_limit_hits.action AND rate_limit_hits.at > ${now} - r.window_ms)`,
  ]);
  const uploads = rowsOf<{ id: string }>(results, 0).map((r) => r.id);
  const jobs = rowsOf<{ id: string; type: string }>(results, 3);
  return {
    jobs: jobs.length,
    attempts: results[4]!.meta.changes,
    logs: results[5]!.meta.changes,
    artefacts: await deleteArtefacts(env, tenant, uploads, jobs),
  };
}

async function record(env: Env, tenant: string, deleted: number, now: number) {
  await env.DB.prepare(
    `INSERT INTO housekeeping (tenant, jobs_deleted, last_run_at, last_deleted) VALUES (?1, ?2, ?3, ?2)
     ON CONFLICT (tenant) DO UPDATE SET jobs_deleted = jobs_deleted + excluded.jobs_deleted,
       last_run_at = excluded.last_run_at, last_deleted = excluded.last_deleted`,
  )
    .bind(tenant, deleted, now)
    .run();
}
