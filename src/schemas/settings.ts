import { z } from "@hono/zod-openapi";
import { ADMIN_TENANT } from "../auth/principal";
import { DEFAULT_JOB_RETENTION_DAYS } from "../housekeeping/jobs";
import { QuotaUpdateSchema, QuotasSchema } from "../quotas/limits";
import { DEFAULT_SEARCH_RETENTION_DAYS, MAX_SEARCH_RETENTION_DAYS } from "../search-analytics/settings";
import { MarketplaceSettingsSchema, MarketplaceSettingsUpdateSchema } from "./marketplace";

const keepVersions = z.number().int().min(1).max(100_000).nullable().describe("Versions the scheduled cleanup keeps per report; null keeps all.");
const retentionDays = z
  .number()
  .int()
  .min(1)
  .max(3650)
  .nullable()
  .describe(`Days finished jobs are kept before housekeeping deletes them; null is the platform default (${DEFAULT_JOB_RETENTION_DAYS}).`);
const concurrencyLimit = z.number().int().min(1).max(10_000).nullable().describe("At most this many of the tenant's jobs run at once; null is no limit.");
const searchAnalytics = z.boolean().describe("Whether each GET /search is recorded for search analytics (/search/suggest, /search/patterns, ...).");
const searchRetentionDays = z
  .number()
  .int()
  .min(1)
  .max(MAX_SEARCH_RETENTION_DAYS)
  .nullable()
  .describe(`Days recorded searches and their aggregates are kept; null is the platform default (${DEFAULT_SEARCH_RETENTION_DAYS}).`);

export const SettingsSchema = z
  .object({
    reports: z.object({ keepVersions }),
    jobs: z.object({
      retentionDays,
      effectiveRetentionDays: z.number().int().describe("The retention housekeeping applies."),
      concurrencyLimit,
    }),
    quotas: QuotasSchema.describe("What the tenant may hold, and how much of it it holds now."),
    marketplace: MarketplaceSettingsSchema,
    search: z.object({
      analytics: searchAnalytics,
      retentionDays: searchRetentionDays,
      effectiveRetentionDays: z.number().int().describe("The retention applied."),
    }),
  })
  .openapi("TenantSettings");

export const SettingsUpdateSchema = z
  .object({
    reports: z.object({ keepVersions }).strict().optional().describe("Needs the reports:write scope."),
    jobs: z
      .object({ retentionDays: retentionDays.optional(), concurrencyLimit: concurrencyLimit.optional() })
      .strict()
      .refine((jobs) => Object.keys(jobs).length > 0, "give retentionDays, concurrencyLimit or both")
      .optional()
      .describe("Needs the admin scope. Fields left out keep their value."),
    quotas: QuotaUpdateSchema.optional(),
    marketplace: MarketplaceSettingsUpdateSchema.optional(),
    search: z
      .object({ analytics: searchAnalytics.optional(), retentionDays: searchRetentionDays.optional() })
      .strict()
      .refine((search) => Object.keys(search).length > 0, "give analytics, retentionDays or both")
      .optional()
      .describe("Needs the admin scope. Fields left out keep their value."),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "give reports, jobs, quotas, marketplace, search or a mix")
  .openapi("TenantSettingsUpdate");

export const SettingsTenantQuery = z.object({
  tenant: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .describe(`Platform admin key (the \`${ADMIN_TENANT}\` tenant) only: the tenant whose settings to read or change. Default: the caller's tenant.`),
});
