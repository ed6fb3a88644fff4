import type { Database } from "../db/client";
import { queryDaysFrom } from "./store";
import { compare } from "./suggest";
import { dayOf, isoDay } from "./text";

export interface PatternQuery {
  query: string;
  /** Searches in the window. */
  searches: number;
  /** Searches in the window of the same length just before it. */
  previousSearches: number;
  /** Searches in the window that found nothing. */
  zeroResultSearches: number;
  change: number;
}

/** A query trends or declines only with at least this many searches in the busier window: one search is no trend. */
export const MIN_TREND_SEARCHES = 2;

/**
 * The tenant's search patterns over the last `days` UTC days (today included) against the `days`
 * before them, from the per-day aggregates:
 * - trending: more searches than before (and at least MIN_TREND_SEARCHES), by the rise;
 * - declining: fewer than before (the earlier window holding at least MIN_TREND_SEARCHES), by the fall;
 * - common: the most searched in the window;
 * - zeroResults: the most searches that found nothing in the window.
 * Ties go to the busier query, then alphabetically. At most `limit` of each.
 */
export async function searchPatterns(db: Database, tenant: string, days: number, limit: number, now: number) {
  const today = dayOf(now);
  const from = today - days + 1;
  const previousFrom = from - days;
  const byQuery = new Map<string, PatternQuery>();
  for (const row of await queryDaysFrom(db, tenant, previousFrom)) {
    const entry = byQuery.get(row.normalized) ?? { query: row.normalized, searches: 0, previousSearches: 0, zeroResultSearches: 0, change: 0 };
    if (row.day >= from) {
      entry.searches += row.searches;
      entry.zeroResultSearches += row.searches - row.found;
    } else entry.previousSearches += row.searches;
    entry.change = entry.searches - entry.previousSearches;
    byQuery.set(row.normalized, entry);
  }
  const all = [...byQuery.values()];
  const top = (keep: (q: PatternQuery) => boolean, score: (q: PatternQuery) => number, busier: (q: PatternQuery) => number) =>
    all
      .filter(keep)
      .sort((a, b) => score(b) - score(a) || busier(b) - busier(a) || compare(a.query, b.query))
      .slice(0, limit);
  return {
    days,
    from: isoDay(from),
    to: isoDay(today),
    previousFrom: isoDay(previousFrom),
    trending: top((q) => q.change > 0 && q.searches >= MIN_TREND_SEARCHES, (q) => q.change, (q) => q.searches),
    declining: top((q) => q.change < 0 && q.previousSearches >= MIN_TREND_SEARCHES, (q) => -q.change, (q) => q.previousSearches),
    common: top((q) => q.searches > 0, (q) => q.searches, () => 0),
    zeroResults: top((q) => q.zeroResultSearches > 0, (q) => q.zeroResultSearches, (q) => q.searches),
  };
}
