import { createRoute, z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { ADMIN_TENANT, type Principal, type Scope } from "../../auth/principal";
import type { Database } from "../../db/client";
import { tenantSettings } from "../../db/schema";
import { DEFAULT_JOB_RETENTION_DAYS } from "../../housekeeping/jobs";
import { displayNameOf, setDisplayName } from "../../marketplace/authors";
import { quotaReport } from "../../quotas/check";
import { searchSettingsOf } from "../../search-analytics/settings";
import { errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import { SettingsSchema, SettingsTenantQuery, SettingsUpdateSchema } from "../../schemas/settings";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { hasScope, requireAnyScope, useTenantDatabase } from "../middleware/auth";

const getRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "getSettings",
  summary: "The tenant's settings, and its quotas with their use",
  tags: ["settings"],
  middleware: [requireAnyScope(["jobs:read", "reports:read"])] as const,
  request: { query: SettingsTenantQuery },
  responses: { 200: jsonContent(SettingsSchema, "The settings") },
});

const putRouteDef = createRoute({
  method: "put",
  path: "/",
  operationId: "updateSettings",
  summary: "Change some of the tenant's settings; sections left out keep their values (quotas: the platform admin key only)",
  tags: ["settings"],
  middleware: [requireAnyScope(["reports:write", "admin"])] as const,
  request: { query: SettingsTenantQuery, ...jsonBody(SettingsUpdateSchema) },
  responses: { 200: jsonContent(SettingsSchema, "The settings"), ...errorResponses(409) },
});

/** The tenant a request is about: its own, or any one the platform admin names. */
function tenantOf(principal: Principal, asked: string | undefined): string {
  if (asked === undefined || asked === principal.tenant) return principal.tenant;
  if (principal.tenant !== ADMIN_TENANT) throw new ApiError(403, "forbidden", "only the platform admin key reads or changes another tenant's settings");
  return asked;
}

async function read(env: Env, db: Database, tenant: string): Promise<z.infer<typeof SettingsSchema>> {
  const [row, quotas, displayName] = await Promise.all([
    db.select().from(tenantSettings).where(eq(tenantSettings.tenant, tenant)).get(),
    quotaReport(env, tenant),
    displayNameOf(env, tenant),
  ]);
  const retention = row?.jobRetentionDays ?? null;
  return {
    reports: { keepVersions: row?.reportKeepVersions ?? null },
    jobs: { retentionDays: retention, effectiveRetentionDays: retention ?? DEFAULT_JOB_RETENTION_DAYS, concurrencyLimit: row?.concurrencyLimit ?? null },
    quotas,
    marketplace: { displayName },
    search: searchSettingsOf(row),
  };
}

type Update = z.infer<typeof SettingsUpdateSchema>;

/** The columns an update writes: only those given. Quota overrides merge into the stored ones (null removes one). */
function columnsOf(body: Update) {
  const given = {
    reportKeepVersions: body.reports?.keepVersions,
    jobRetentionDays: body.jobs?.retentionDays,
    concurrencyLimit: body.jobs?.concurrencyLimit,
    searchAnalytics: body.search?.analytics,
    searchRetentionDays: body.search?.retentionDays,
  };
  const columns = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as Partial<typeof given>;
  const patch = body.quotas ? JSON.stringify(body.quotas) : undefined;
  return {
    insert: { ...columns, ...(patch ? { quotas: sql`json_patch('{}', ${patch})` } : {}) },
    update: { ...columns, ...(patch ? { quotas: sql`json_patch(coalesce(${tenantSettings.quotas}, '{}'), ${patch})` } : {}) },
  };
}

export const settingsApi = newRouter()
  .openapi(getRouteDef, async (c) => {
    const tenant = tenantOf(c.get("principal"), c.req.valid("query").tenant);
    useTenantDatabase(c, tenant);
    return c.json(await read(c.env, c.get("db"), tenant), 200);
  })
  .openapi(putRouteDef, async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const tenant = tenantOf(principal, c.req.valid("query").tenant);
    const needs = (section: string, scope: Scope) => {
      if (!hasScope(principal, scope)) throw new ApiError(403, "forbidden", `changing the ${section} settings needs the \`${scope}\` scope`);
    };
    if (body.reports) needs("reports", "reports:write");
    if (body.jobs) needs("jobs", "admin");
    if (body.quotas && principal.tenant !== ADMIN_TENANT) throw new ApiError(403, "forbidden", "quotas are set by the platform admin key");
    if (body.marketplace) needs("marketplace", "reports:write");
    if (body.search) needs("search", "admin");
    // First: a display name another tenant holds refuses the whole update, before anything is written.
    if (body.marketplace) await setDisplayName(c.env, tenant, body.marketplace.displayName);
    const { insert, update } = columnsOf(body);
    const updatedAt = Date.now();
    useTenantDatabase(c, tenant);
    await c
      .get("db")
      .insert(tenantSettings)
      .values({ tenant, ...insert, updatedAt })
      .onConflictDoUpdate({ target: tenantSettings.tenant, set: { ...update, updatedAt } });
    return c.json(await read(c.env, c.get("db"), tenant), 200);
  });
