import { createRoute, z } from "@hono/zod-openapi";
import { DEFAULT_JOB_RETENTION_DAYS } from "../../housekeeping/jobs";
import { errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import type { Scope } from "../../auth/principal";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { hasScope, requireAnyScope } from "../middleware/auth";

const keepVersions = z.number().int().min(1).max(100_000).nullable().describe("Versions the scheduled cleanup keeps per report; null keeps all.");
const retentionDays = z
  .number()
  .int()
  .min(1)
  .max(3650)
  .nullable()
  .describe(`Days finished jobs are kept before housekeeping deletes them; null is the platform default (${DEFAULT_JOB_RETENTION_DAYS}).`);
const concurrencyLimit = z.number().int().min(1).max(10_000).nullable().describe("At most this many of the tenant's jobs run at once; null is no limit.");

const SettingsSchema = z
  .object({
    reports: z.object({ keepVersions }),
    jobs: z.object({
      retentionDays,
      effectiveRetentionDays: z.number().int().describe("The retention housekeeping applies."),
      concurrencyLimit,
    }),
  })
  .openapi("TenantSettings");

const SettingsUpdateSchema = z
  .object({
    reports: z.object({ keepVersions }).strict().optional().describe("Needs the reports:write scope."),
    jobs: z
      .object({ retentionDays: retentionDays.optional(), concurrencyLimit: concurrencyLimit.optional() })
      .strict()
      .refine((jobs) => Object.keys(jobs).length > 0, "give retentionDays, concurrencyLimit or both")
      .optional()
      .describe("Needs the admin scope. Fields left out keep their value."),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "give reports, jobs or both")
  .openapi("TenantSettingsUpdate");

const getRouteDef = createRoute({
  method: "get",
  path: "/",
  summary: "The tenant's settings",
  tags: ["settings"],
  middleware: [requireAnyScope(["jobs:read", "reports:read"])] as const,
  responses: { 200: jsonContent(SettingsSchema, "The settings"), ...errorResponses(401, 403) },
});

const putRouteDef = createRoute({
  method: "put",
  path: "/",
  summary: "Change some of the tenant's settings; sections left out keep their values",
  tags: ["settings"],
  middleware: [requireAnyScope(["reports:write", "admin"])] as const,
  request: jsonBody(SettingsUpdateSchema),
  responses: { 200: jsonContent(SettingsSchema, "The settings"), ...errorResponses(400, 401, 403) },
});

async function read(env: Env, tenant: string): Promise<z.infer<typeof SettingsSchema>> {
  const row = await env.DB.prepare(
    "SELECT report_keep_versions AS keep, job_retention_days AS retention, concurrency_limit AS concurrency FROM tenant_settings WHERE tenant = ?",
  )
    .bind(tenant)
    .first<{ keep: number | null; retention: number | null; concurrency: number | null }>();
  const retention = row?.retention ?? null;
  return {
    reports: { keepVersions: row?.keep ?? null },
    jobs: { retentionDays: retention, effectiveRetentionDays: retention ?? DEFAULT_JOB_RETENTION_DAYS, concurrencyLimit: row?.concurrency ?? null },
  };
}

export const settingsApi = newRouter()
  .openapi(getRouteDef, async (c) => c.json(await read(c.env, c.get("principal").tenant), 200))
  .openapi(putRouteDef, async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const needs = (section: string, scope: Scope) => {
      if (!hasScope(principal, scope)) throw new ApiError(403, "forbidden", `changing the ${section} settings needs the \`${scope}\` scope`);
    };
    if (body.reports) needs("reports", "reports:write");
    if (body.jobs) needs("jobs", "admin");
    // Only the columns given are written; their names come from this fixed list, never the request.
    const given = Object.entries({
      report_keep_versions: body.reports?.keepVersions,
      job_retention_days: body.jobs?.retentionDays,
      concurrency_limit: body.jobs?.concurrencyLimit,
    }).filter(([, value]) => value !== undefined);
    const columns = given.map(([column]) => column);
    await c.env.DB.prepare(
      `INSERT INTO tenant_settings (tenant, ${columns.join(", ")}, updated_at) VALUES (?${", ?".repeat(columns.length)}, ?)
       ON CONFLICT (tenant) DO UPDATE SET ${columns.map((col) => `${col} = excluded.${col}`).join(", ")}, updated_at = excluded.updated_at`,
    )
      .bind(principal.tenant, ...given.map(([, value]) => value), Date.now())
      .run();
    return c.json(await read(c.env, principal.tenant), 200);
  });
