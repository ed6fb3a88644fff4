import { rawSql } from "../db/raw";

export interface LoggedSearch {
  tenant: string;
  query: string;
  collection: string | undefined;
  results: number;
  at: number;
}

/**
 * Logs one search: a single statement, which also reads the tenant's setting (so a tenant that
 * turned analytics off costs the read of one settings row and writes nothing). The row is its own
 * key (search_log is WITHOUT ROWID), so a search writes exactly one row. A `seq` that collides in
 * the same millisecond drops that one log row rather than fail the search.
 */
export async function recordSearch(db: D1Database, search: LoggedSearch): Promise<void> {
  const seq = Math.floor(Math.random() * 2 ** 31);
  await rawSql(db)`
    INSERT OR IGNORE INTO search_log (tenant, at, seq, query, collection, results)
    SELECT ${search.tenant}, ${search.at}, ${seq}, ${search.query}, ${search.collection ?? null}, ${search.results}
    WHERE NOT EXISTS (SELECT 1 FROM tenant_settings WHERE tenant = ${search.tenant} AND search_analytics = 0)`.run();
}
