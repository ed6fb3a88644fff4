import { rawSql } from "../db/raw";
import { jsonChunks } from "../engine/json-chunks";
import { distinctTenants } from "../engine/tenants";
import { MAX_QUERIES_PER_TENANT, RETENTION_DAYS_SQL } from "./settings";
import { DAY_MS } from "./text";

/** Expired rows taken per statement: retention catches up over ticks after a long pause. */
export const EXPIRY_BATCH = 5_000;

/**
 * Keeps each tenant given at MAX_QUERIES_PER_TENANT distinct queries: the least searched go first,
 * the least recently searched among equals, with their days. One batch per tenant over the cap.
 */
export async function evictBeyondCap(db: D1Database, tenants: string[], cap = MAX_QUERIES_PER_TENANT): Promise<number> {
  if (tenants.length === 0) return 0;
  const { results } = await rawSql(db)`
    SELECT tenant FROM search_queries WHERE tenant IN (SELECT value FROM json_each(${JSON.stringify(tenants)}))
    GROUP BY tenant HAVING count(*) > ${cap}`.all<{ tenant: string }>();
  const ranked = `WITH ranked AS (
      SELECT normalized, row_number() OVER (ORDER BY searches DESC, last_at DESC, normalized) AS rank
      FROM search_queries WHERE tenant = ?1),
    evicted AS (SELECT normalized FROM ranked WHERE rank > ?2)`;
  let evicted = 0;
  for (const { tenant } of results) {
    // Same ranking in both statements: the batch is one transaction.
    const [, queries] = await db.batch([
      db.prepare(`${ranked} DELETE FROM search_query_days WHERE tenant = ?1 AND normalized IN (SELECT normalized FROM evicted)`).bind(tenant, cap),
      db.prepare(`${ranked} DELETE FROM search_queries WHERE tenant = ?1 AND normalized IN (SELECT normalized FROM evicted)`).bind(tenant, cap),
    ]);
    evicted += queries!.meta.changes;
  }
  return evicted;
}

/** `cut(tenant, day, at)`: per tenant of `table`, the first day kept and the first time kept (its retention, or its last clear). */
const cutoffs = (table: string) => `WITH RECURSIVE ${distinctTenants("t", table)},
    cut AS (
      SELECT t.tenant, (?1 - ${RETENTION_DAYS_SQL} * ${DAY_MS}) / ${DAY_MS} AS day,
        max(?1 - ${RETENTION_DAYS_SQL} * ${DAY_MS}, coalesce(c.cleared_at + 1, 0)) AS at
      FROM t LEFT JOIN tenant_settings s ON s.tenant = t.tenant LEFT JOIN search_history_clears c ON c.tenant = t.tenant
      WHERE t.tenant IS NOT NULL)`;

type ExpiredDay = { tenant: string; day: number; normalized: string };

/**
 * Applies each tenant's retention: days wholly before it leave the aggregates (their counts are
 * taken off their queries, and a query left with no search goes), and log rows before it (or
 * before the tenant's last clear) are deleted. Bounded per tick; `more` says a batch was full.
 */
export async function expireSearches(db: D1Database, now: number): Promise<{ days: number; searches: number; more: boolean }> {
  const { results: expired } = await db
    .prepare(`${cutoffs("search_query_days")}
      SELECT d.tenant, d.day, d.normalized FROM cut JOIN search_query_days d ON d.tenant = cut.tenant AND d.day < cut.day LIMIT ?2`)
    .bind(now, EXPIRY_BATCH)
    .all<ExpiredDay>();
  const statements = jsonChunks(expired.map((d) => [d.tenant, d.day, d.normalized])).flatMap((chunk) => expireDaysStatements(db, chunk));
  statements.push(
    db.prepare(`${cutoffs("search_days")} DELETE FROM search_days WHERE (tenant, day) IN (
      SELECT d.tenant, d.day FROM cut JOIN search_days d ON d.tenant = cut.tenant AND d.day < cut.day)`).bind(now),
    db.prepare(`${cutoffs("search_log")} DELETE FROM search_log WHERE (tenant, at, seq) IN (
      SELECT l.tenant, l.at, l.seq FROM cut JOIN search_log l ON l.tenant = cut.tenant AND l.at < cut.at LIMIT ?2)`).bind(now, EXPIRY_BATCH),
  );
  const results = await db.batch(statements);
  const searches = results.at(-1)!.meta.changes;
  return { days: expired.length, searches, more: expired.length === EXPIRY_BATCH || searches === EXPIRY_BATCH };
}

/**
 * Takes the listed day rows' counts off their queries and deletes them. The counts are read from
 * the rows still there, in the same transaction that deletes them, so a second run takes nothing twice.
 */
function expireDaysStatements(db: D1Database, chunk: string): D1PreparedStatement[] {
  const listed = `SELECT d.tenant, d.normalized, d.searches, d.found FROM jsonb_each(?1) j
    JOIN search_query_days d ON d.tenant = j.value->>0 AND d.day = j.value->>1 AND d.normalized = j.value->>2`;
  return [
    db
      .prepare(
        `UPDATE search_queries SET searches = search_queries.searches - e.searches, found = search_queries.found - e.found
         FROM (SELECT tenant, normalized, sum(searches) AS searches, sum(found) AS found FROM (${listed}) GROUP BY tenant, normalized) e
         WHERE search_queries.tenant = e.tenant AND search_queries.normalized = e.normalized`,
      )
      .bind(chunk),
    db
      .prepare(
        `DELETE FROM search_queries WHERE searches <= 0
         AND (tenant, normalized) IN (SELECT j.value->>0, j.value->>2 FROM jsonb_each(?1) j)`,
      )
      .bind(chunk),
    db.prepare(`DELETE FROM search_query_days WHERE (tenant, day, normalized) IN (SELECT j.value->>0, j.value->>1, j.value->>2 FROM jsonb_each(?1) j)`).bind(chunk),
  ];
}
