import { eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { tenantSettings } from "../db/schema";

/** Days searches are kept (the log and every aggregate) when the tenant sets none. */
export const DEFAULT_SEARCH_RETENTION_DAYS = 30;
export const MAX_SEARCH_RETENTION_DAYS = 90;

/** Distinct normalized queries kept per tenant; beyond it the clock evicts the least searched. */
export const MAX_QUERIES_PER_TENANT = 1_000;

export interface SearchSettings {
  analytics: boolean;
  retentionDays: number | null;
  effectiveRetentionDays: number;
}

type Row = Pick<typeof tenantSettings.$inferSelect, "searchAnalytics" | "searchRetentionDays">;

export function searchSettingsOf(row: Row | undefined): SearchSettings {
  const retentionDays = row?.searchRetentionDays ?? null;
  return { analytics: row?.searchAnalytics ?? true, retentionDays, effectiveRetentionDays: retentionDays ?? DEFAULT_SEARCH_RETENTION_DAYS };
}

export async function readSearchSettings(db: Database, tenant: string): Promise<SearchSettings> {
  const row = await db
    .select({ searchAnalytics: tenantSettings.searchAnalytics, searchRetentionDays: tenantSettings.searchRetentionDays })
    .from(tenantSettings)
    .where(eq(tenantSettings.tenant, tenant))
    .get();
  return searchSettingsOf(row);
}

/** The SQL for a tenant's retention in days, `s` being its `tenant_settings` row (or nulls). */
export const RETENTION_DAYS_SQL = `coalesce(s.search_retention_days, ${DEFAULT_SEARCH_RETENTION_DAYS})`;
