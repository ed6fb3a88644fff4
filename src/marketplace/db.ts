import { database } from "../db/client";
import { type RawSql, rawSql } from "../db/raw";
import { platformDatabase } from "../db/shards";
import type { marketplaceReviews, marketplaceTemplates, marketplaceVersions } from "../db/schema";

/**
 * The marketplace is shared by every tenant, so it lives in the platform database whichever shard
 * the request's tenant is on (src/db/shards.ts); nothing here reads `env.DB`.
 */
export function marketplaceDb(env: Env) {
  return database({ DB: platformDatabase(env) });
}

export function marketplaceSql(env: Env): RawSql {
  return rawSql(platformDatabase(env));
}

export type ListingRow = typeof marketplaceTemplates.$inferSelect;
export type VersionRow = typeof marketplaceVersions.$inferSelect;
export type ReviewRow = typeof marketplaceReviews.$inferSelect;
