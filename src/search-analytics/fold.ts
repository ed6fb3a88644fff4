import { SqlText, rawSql } from "../db/raw";
import type { searchLog } from "../db/schema";
import { jsonChunks } from "../engine/json-chunks";
import { distinctTenants } from "../engine/tenants";
import { dayOf, normalize } from "./text";

/**
 * A search's row is written within its request, well inside a minute, and its `at` is taken by the
 * request: so a minute behind the clock no row can still appear below the fold's mark.
 */
export const FOLD_LAG_MS = 60_000;
/**
 * A step (one D1 batch) ends before any tenant's FOLD_ROWS_PER_TENANT-th search past its start, so
 * it reads at most that many rows per tenant searching in its span, however sparse or dense the log.
 */
export const FOLD_ROWS_PER_TENANT = 500;
export const FOLD_STEPS_PER_TICK = 20;

const TENANTS_WITH_LOG = new SqlText(`WITH RECURSIVE ${distinctTenants("t", "search_log")}`);
const UNMOVED = "(SELECT value FROM search_marks WHERE name = 'log') = ?1";
/** The aggregate's newest search is no older than the tenant's last clear (the clear may come while a step runs). */
const NOT_CLEARED = (tenant: string, at: string) =>
  `NOT EXISTS (SELECT 1 FROM search_history_clears c WHERE c.tenant = ${tenant} AND c.cleared_at >= ${at})`;

type LogRow = Pick<typeof searchLog.$inferSelect, "tenant" | "at" | "query" | "results"> & { cleared: number };

export interface FoldReport {
  steps: number;
  searches: number;
  /** Tenants whose queries the steps added to: the ones eviction looks at. */
  tenants: Set<string>;
  more: boolean;
}

/** Folds the database's log up to a minute ago (the real clock), a step at a time. */
export async function foldSearchLog(db: D1Database, now = Date.now()): Promise<FoldReport> {
  const limit = now - FOLD_LAG_MS;
  const report: FoldReport = { steps: 0, searches: 0, tenants: new Set(), more: false };
  while (report.steps < FOLD_STEPS_PER_TICK) {
    const step = await nextStep(db, limit);
    if (!step) return report;
    const rows = await readStep(db, step.start, step.to);
    await writeStep(db, step.mark, step.to, rows);
    for (const row of rows) if (!row.cleared) report.tenants.add(row.tenant);
    report.searches += rows.length;
    report.steps += 1;
    if (step.to === limit) return report;
  }
  report.more = true;
  return report;
}

/** From the mark, skipping a gap with no searches at all, up to the FOLD_ROWS_PER_TENANT bound and never past `limit`. */
async function nextStep(db: D1Database, limit: number) {
  const perTenant = (select: string, order: string) =>
    `(SELECT min((SELECT ${select} FROM search_log l WHERE l.tenant = t.tenant AND l.at >= m.value ${order})) FROM t WHERE t.tenant IS NOT NULL)`;
  const row = await rawSql(db)`
    ${TENANTS_WITH_LOG}
    SELECT m.value AS mark, ${new SqlText(perTenant("min(l.at)", ""))} AS first,
      ${new SqlText(perTenant("l.at", `ORDER BY l.at LIMIT 1 OFFSET ${FOLD_ROWS_PER_TENANT}`))} AS bound
    FROM search_marks m WHERE m.name = 'log'`.first<{ mark: number; first: number | null; bound: number | null }>();
  if (!row || row.mark >= limit) return undefined;
  if (row.first === null || row.first >= limit) {
    await rawSql(db)`UPDATE search_marks SET value = ${limit} WHERE name = 'log' AND value = ${row.mark}`.run();
    return undefined;
  }
  return { mark: row.mark, start: row.first, to: Math.min(limit, Math.max(row.first + 1, row.bound ?? limit)) };
}

async function readStep(db: D1Database, start: number, to: number): Promise<LogRow[]> {
  const { results } = await rawSql(db)`
    ${TENANTS_WITH_LOG}
    SELECT l.tenant, l.at, l.query, l.results, l.at <= coalesce(c.cleared_at, -1) AS cleared
    FROM t JOIN search_log l ON l.tenant = t.tenant AND l.at >= ${start} AND l.at < ${to}
    LEFT JOIN search_history_clears c ON c.tenant = l.tenant
    WHERE t.tenant IS NOT NULL`.all<LogRow>();
  return results;
}

interface Counts {
  searches: number;
  found: number;
  results: number;
  lastAt: number;
}

function add(map: Map<string, Counts>, key: string, row: LogRow) {
  const counts = map.get(key) ?? { searches: 0, found: 0, results: 0, lastAt: 0 };
  counts.searches += 1;
  counts.found += row.results > 0 ? 1 : 0;
  counts.results += row.results;
  counts.lastAt = Math.max(counts.lastAt, row.at);
  map.set(key, counts);
}

/**
 * The step's counts as JSON rows: per (tenant, normalized), (tenant, day, normalized) and
 * (tenant, day), each row its key's fields, then searches, found, results and the newest search's time.
 */
function aggregate(rows: LogRow[]) {
  const queries = new Map<string, Counts>();
  const queryDays = new Map<string, Counts>();
  const days = new Map<string, Counts>();
  for (const row of rows) {
    if (row.cleared) continue;
    const day = dayOf(row.at);
    add(days, JSON.stringify([row.tenant, day]), row);
    const normalized = normalize(row.query);
    if (!normalized) continue;
    add(queries, JSON.stringify([row.tenant, normalized]), row);
    add(queryDays, JSON.stringify([row.tenant, day, normalized]), row);
  }
  const list = (map: Map<string, Counts>) => [...map].map(([key, c]) => [...(JSON.parse(key) as unknown[]), c.searches, c.found, c.results, c.lastAt]);
  return { queries: list(queries), queryDays: list(queryDays), days: list(days) };
}

/** Each upsert reads JSON rows as `aggregate` lists them; none adds what a clear came after. */
const UPSERT_QUERIES = `INSERT INTO search_queries (tenant, normalized, searches, found, last_at)
  SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>5 FROM jsonb_each(?2) j
  WHERE ${UNMOVED} AND ${NOT_CLEARED("j.value->>0", "j.value->>5")}
  ON CONFLICT (tenant, normalized) DO UPDATE SET searches = searches + excluded.searches, found = found + excluded.found,
    last_at = max(last_at, excluded.last_at)`;

const UPSERT_QUERY_DAYS = `INSERT INTO search_query_days (tenant, day, normalized, searches, found)
  SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4 FROM jsonb_each(?2) j
  WHERE ${UNMOVED} AND ${NOT_CLEARED("j.value->>0", "j.value->>6")}
  ON CONFLICT (tenant, day, normalized) DO UPDATE SET searches = searches + excluded.searches, found = found + excluded.found`;

const UPSERT_DAYS = `INSERT INTO search_days (tenant, day, searches, found, results)
  SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4 FROM jsonb_each(?2) j
  WHERE ${UNMOVED} AND ${NOT_CLEARED("j.value->>0", "j.value->>5")}
  ON CONFLICT (tenant, day) DO UPDATE SET searches = searches + excluded.searches, found = found + excluded.found,
    results = results + excluded.results`;

/** One transaction: adds the step's counts and moves the mark; nothing if another tick moved it first. */
async function writeStep(db: D1Database, mark: number, to: number, rows: LogRow[]): Promise<void> {
  const { queries, queryDays, days } = aggregate(rows);
  const upserts = (sql: string, list: unknown[][]) => jsonChunks(list).map((chunk) => db.prepare(sql).bind(mark, chunk));
  await db.batch([
    ...upserts(UPSERT_QUERIES, queries),
    ...upserts(UPSERT_QUERY_DAYS, queryDays),
    ...upserts(UPSERT_DAYS, days),
    db.prepare(`UPDATE search_marks SET value = ?2 WHERE name = 'log' AND ${UNMOVED}`).bind(mark, to),
  ]);
}
