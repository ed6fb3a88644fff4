import type { Database } from "../db/client";
import { MAX_QUERIES_PER_TENANT, readSearchSettings } from "./settings";
import { round } from "./similarity";
import { statisticsRows } from "./store";
import { isoDay } from "./text";

/**
 * The tenant's retained searches as the clock has folded them (every search logged before
 * `foldedBefore`): totals, the share that found nothing, the mean result count, and per day.
 */
export async function searchStatistics(db: Database, tenant: string) {
  const [settings, rows] = await Promise.all([readSearchSettings(db, tenant), statisticsRows(db, tenant)]);
  const searches = rows.days.reduce((sum, d) => sum + d.searches, 0);
  const found = rows.days.reduce((sum, d) => sum + d.found, 0);
  const results = rows.days.reduce((sum, d) => sum + d.results, 0);
  return {
    enabled: settings.analytics,
    retentionDays: settings.effectiveRetentionDays,
    searches,
    zeroResultSearches: searches - found,
    zeroResultRate: searches === 0 ? 0 : round((searches - found) / searches),
    averageResults: searches === 0 ? 0 : round(results / searches),
    distinctQueries: rows.distinctQueries,
    maxDistinctQueries: MAX_QUERIES_PER_TENANT,
    foldedBefore: rows.foldedBefore > 0 ? new Date(rows.foldedBefore).toISOString() : null,
    days: rows.days.map((d) => ({ day: isoDay(d.day), searches: d.searches, zeroResultSearches: d.searches - d.found })),
  };
}
