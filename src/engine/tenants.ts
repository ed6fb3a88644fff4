/**
 * `tenants(tenant)`: the tenants with jobs in this database, one seek each of an index that
 * starts with the tenant (a loose index scan). Platform-wide tasks (the sweeper, retention, the
 * health check) range over each tenant's jobs through `jobs_tenant_status_id` with it, instead of
 * an index of their own that every job would have to enter.
 */
export const TENANTS_WITH_JOBS = `
  WITH RECURSIVE tenants(tenant) AS (
    SELECT (SELECT min(tenant) FROM jobs)
    UNION ALL
    SELECT (SELECT min(tenant) FROM jobs WHERE tenant > tenants.tenant) FROM tenants WHERE tenants.tenant IS NOT NULL
  )`;
