/**
 * `name(tenant)`, a recursive CTE term: the tenants of `table`, one seek each of an index that
 * starts with the tenant (a loose index scan), then a null.
 */
export function distinctTenants(name: string, table: string): string {
  return `${name}(tenant) AS (
    SELECT (SELECT min(tenant) FROM ${table})
    UNION ALL
    SELECT (SELECT min(tenant) FROM ${table} WHERE tenant > ${name}.tenant) FROM ${name} WHERE ${name}.tenant IS NOT NULL
  )`;
}

/**
 * `tenants(tenant)`: the tenants with jobs in this database. Platform-wide tasks (the sweeper,
 * retention, the health check) range over each tenant's jobs through `jobs_tenant_status_id` with
 * it, instead of an index of their own that every job would have to enter.
 */
export const TENANTS_WITH_JOBS = `
  WITH RECURSIVE ${distinctTenants("tenants", "jobs")}`;

/**
 * Every tenant with jobs or API keys (revoked ones too) in any of `databases`, each once, sorted
 * by code unit as SQLite's BINARY collation sorts.
 */
export async function knownTenants(databases: D1Database[]): Promise<string[]> {
  const answers = await Promise.all(
    databases.map((db) =>
      db
        .prepare(`
          WITH RECURSIVE ${distinctTenants("with_jobs", "jobs")}, ${distinctTenants("with_keys", "api_keys")}
          SELECT tenant FROM with_jobs WHERE tenant IS NOT NULL UNION SELECT tenant FROM with_keys WHERE tenant IS NOT NULL`)
        .all<{ tenant: string }>(),
    ),
  );
  const tenants = new Set(answers.flatMap((a) => a.results.map((r) => r.tenant)));
  return [...tenants].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
