import { and, asc, eq, gte, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { searchDays, searchHistoryClears, searchMarks, searchQueries, searchQueryDays, searchVocabulary } from "../db/schema";
import { MalformedInputError } from "../errors";
import { normalize, prefixEnd } from "./text";

/** A tenant's aggregate of one normalized query, as every read here takes it. */
export type QueryCounts = Pick<typeof searchQueries.$inferSelect, "normalized" | "searches" | "found">;
export type QueryDay = Pick<typeof searchQueryDays.$inferSelect, "day" | "normalized" | "searches" | "found">;
export type TermCount = Pick<typeof searchVocabulary.$inferSelect, "term" | "documents">;

/** Vocabulary terms read per completion, in alphabetical order: a one-letter prefix reads no more. */
export const MAX_TERMS_READ = 1_000;

/** The query's aggregation key, or a 400 for a query with no word in it. */
export function normalizedOrRefuse(query: string, what = "the query"): string {
  const normalized = normalize(query);
  if (!normalized) throw new MalformedInputError("empty_query", `${what} has no words`);
  return normalized;
}

/** Every retained query of the tenant: at most MAX_QUERIES_PER_TENANT rows, the corpus of every similarity. */
export function tenantQueries(db: Database, tenant: string): Promise<QueryCounts[]> {
  return db
    .select({ normalized: searchQueries.normalized, searches: searchQueries.searches, found: searchQueries.found })
    .from(searchQueries)
    .where(eq(searchQueries.tenant, tenant))
    .all();
}

export async function queryCounts(db: Database, tenant: string, normalized: string): Promise<QueryCounts | undefined> {
  return db
    .select({ normalized: searchQueries.normalized, searches: searchQueries.searches, found: searchQueries.found })
    .from(searchQueries)
    .where(and(eq(searchQueries.tenant, tenant), eq(searchQueries.normalized, normalized)))
    .get();
}

/** The tenant's indexed terms starting with `prefix`. */
export function termsStartingWith(db: Database, tenant: string, prefix: string): Promise<TermCount[]> {
  return db
    .select({ term: searchVocabulary.term, documents: searchVocabulary.documents })
    .from(searchVocabulary)
    .where(and(eq(searchVocabulary.tenant, tenant), gte(searchVocabulary.term, prefix), lt(searchVocabulary.term, prefixEnd(prefix))))
    .orderBy(asc(searchVocabulary.term))
    .limit(MAX_TERMS_READ)
    .all();
}

/** Per query and day from `fromDay` on: at most the query cap times the days asked for. */
export function queryDaysFrom(db: Database, tenant: string, fromDay: number): Promise<QueryDay[]> {
  return db
    .select({ day: searchQueryDays.day, normalized: searchQueryDays.normalized, searches: searchQueryDays.searches, found: searchQueryDays.found })
    .from(searchQueryDays)
    .where(and(eq(searchQueryDays.tenant, tenant), gte(searchQueryDays.day, fromDay)))
    .all();
}

export async function statisticsRows(db: Database, tenant: string) {
  const [days, distinct, mark] = await db.batch([
    db.select().from(searchDays).where(eq(searchDays.tenant, tenant)).orderBy(asc(searchDays.day)),
    db.select({ n: sql<number>`count(*)` }).from(searchQueries).where(eq(searchQueries.tenant, tenant)),
    db.select({ value: searchMarks.value }).from(searchMarks).where(eq(searchMarks.name, "log")),
  ]);
  return { days, distinctQueries: distinct[0]?.n ?? 0, foldedBefore: mark[0]?.value ?? 0 };
}

/**
 * Forgets the tenant's searches: its aggregates at once (at most the query cap, times the retained
 * days), and its log rows from every answer at once (the fold skips rows up to the clear); the
 * clock deletes those rows over its next ticks.
 */
export async function clearHistory(db: Database, tenant: string, now: number): Promise<void> {
  await db.batch([
    db
      .insert(searchHistoryClears)
      .values({ tenant, clearedAt: now })
      .onConflictDoUpdate({ target: searchHistoryClears.tenant, set: { clearedAt: now } }),
    db.delete(searchQueryDays).where(eq(searchQueryDays.tenant, tenant)),
    db.delete(searchDays).where(eq(searchDays.tenant, tenant)),
    db.delete(searchQueries).where(eq(searchQueries.tenant, tenant)),
  ]);
}
