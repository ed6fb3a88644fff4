import { z } from "@hono/zod-openapi";
import { type ErrorCode, QuotaExceededError } from "../errors";

/**
 * What a tenant may hold in the shared database and bucket. Each quota has a platform default (a
 * var in wrangler.toml) that the platform admin may override per tenant (`tenant_settings.quotas`,
 * a JSON object keyed by these names). A refusal is a `QuotaExceededError` whose code names the quota.
 */
export const QUOTAS = {
  schedules: { env: "QUOTA_SCHEDULES", code: "quota_schedules", unit: "schedules" },
  templates: { env: "QUOTA_TEMPLATES", code: "quota_templates", unit: "templates" },
  uploadBytes: { env: "QUOTA_UPLOAD_BYTES", code: "quota_upload_bytes", unit: "bytes of uploads" },
  datasetRows: { env: "QUOTA_DATASET_ROWS", code: "quota_dataset_rows", unit: "dataset rows" },
  documentChunks: { env: "QUOTA_DOCUMENT_CHUNKS", code: "quota_document_chunks", unit: "document chunks" },
  liveJobs: { env: "QUOTA_LIVE_JOBS", code: "quota_live_jobs", unit: "live jobs (queued, running or retrying)" },
  secrets: { env: "QUOTA_SECRETS", code: "quota_secrets", unit: "secrets" },
} as const satisfies Record<string, { env: keyof Env; code: ErrorCode; unit: string }>;

export type QuotaName = keyof typeof QUOTAS;
export const QUOTA_NAMES = Object.keys(QUOTAS) as QuotaName[];

const limit = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The overrides as stored: a limit per quota that has one. */
const StoredOverrides = z.object({
  schedules: limit,
  templates: limit,
  uploadBytes: limit,
  datasetRows: limit,
  documentChunks: limit,
  liveJobs: limit,
  secrets: limit,
}).partial();

export type QuotaOverrides = z.infer<typeof StoredOverrides>;

/** A change to a tenant's overrides: a quota left out keeps its override, null returns it to the default. */
export const QuotaUpdateSchema = z
  .object(Object.fromEntries(QUOTA_NAMES.map((name) => [name, limit.nullable().optional()])) as Record<QuotaName, z.ZodOptional<z.ZodNullable<typeof limit>>>)
  .strict()
  .refine((quotas) => Object.keys(quotas).length > 0, "give at least one quota")
  .describe("Platform admin key only. Limits per quota; null returns a quota to the platform default.")
  .openapi("QuotaUpdate");

const QuotaUseSchema = z
  .object({
    limit: z.number().int(),
    used: z.number().int(),
    source: z.enum(["default", "override"]).describe("`default`: the platform's; `override`: set for this tenant by the platform admin."),
  })
  .openapi("QuotaUse");

export const QuotasSchema = z
  .object(Object.fromEntries(QUOTA_NAMES.map((name) => [name, QuotaUseSchema.describe(`${QUOTAS[name].unit}`)])) as Record<QuotaName, typeof QuotaUseSchema>)
  .openapi("TenantQuotas");

export type QuotaUse = z.infer<typeof QuotaUseSchema>;

/** The platform default of a quota, from its var. */
export function defaultLimit(env: Env, name: QuotaName): number {
  const text = env[QUOTAS[name].env];
  const value = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${QUOTAS[name].env} must be a whole number of ${QUOTAS[name].unit}, not "${text}"`);
  }
  return value;
}

/** A tenant's overrides from their stored JSON; a row that does not parse counts as none. */
export function parseOverrides(json: string | null | undefined): QuotaOverrides {
  if (!json) return {};
  const parsed = StoredOverrides.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : {};
}

export function limitOf(env: Env, name: QuotaName, overrides: QuotaOverrides): { limit: number; source: QuotaUse["source"] } {
  const own = overrides[name];
  return own === undefined ? { limit: defaultLimit(env, name), source: "default" } : { limit: own, source: "override" };
}

export function quotaExceeded(name: QuotaName, limit: number, used: number, requested: number): QuotaExceededError {
  return new QuotaExceededError(
    QUOTAS[name].code,
    `quota of ${limit} ${QUOTAS[name].unit} reached: the tenant holds ${used}, and this would add ${requested}`,
    { quota: name, limit, used, requested },
  );
}
