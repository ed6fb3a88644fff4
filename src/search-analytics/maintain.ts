import { foldSearchLog } from "./fold";
import { evictBeyondCap, expireSearches } from "./retention";
import { foldVocabulary } from "./vocabulary";

export interface SearchAnalyticsReport {
  searches: number;
  evicted: number;
  expiredDays: number;
  deletedSearches: number;
  vocabularyChunks: number;
  vocabularyRemovals: number;
  /** Some step stopped at its bound: the next tick goes on. */
  more: boolean;
}

/**
 * The clock's search analytics task for one database: fold the log's new searches into the
 * aggregates (up to a minute ago, on the real clock), keep each tenant within its query cap, apply
 * retention, and bring the vocabulary up to the indexed chunks. Every step is bounded.
 */
export async function maintainSearchAnalytics(db: D1Database, now: number): Promise<SearchAnalyticsReport> {
  const fold = await foldSearchLog(db);
  const evicted = await evictBeyondCap(db, [...fold.tenants]);
  const expired = await expireSearches(db, now);
  const vocabulary = await foldVocabulary(db);
  return {
    searches: fold.searches,
    evicted,
    expiredDays: expired.days,
    deletedSearches: expired.searches,
    vocabularyChunks: vocabulary.chunks,
    vocabularyRemovals: vocabulary.removed,
    more: fold.more || expired.more || vocabulary.more,
  };
}
