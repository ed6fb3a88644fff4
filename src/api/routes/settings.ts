import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";

const SettingsSchema = z
  .object({
    reports: z.object({
      keepVersions: z.number().int().min(1).max(100_000).nullable().describe("Versions the scheduled cleanup keeps per report; null keeps all."),
    }),
  })
  .openapi("TenantSettings");

const getRouteDef = createRoute({
  method: "get",
  path: "/",
  summary: "The tenant's settings",
  tags: ["settings"],
  middleware: [requireScope("reports:read")] as const,
  responses: { 200: jsonContent(SettingsSchema, "The settings"), ...errorResponses(401, 403) },
});

const putRouteDef = createRoute({
  method: "put",
  path: "/",
  summary: "Change the tenant's settings",
  tags: ["settings"],
  middleware: [requireScope("reports:write")] as const,
  request: jsonBody(SettingsSchema),
  responses: { 200: jsonContent(SettingsSchema, "The settings"), ...errorResponses(400, 401, 403) },
});

async function read(env: Env, tenant: string) {
  const row = await env.DB.prepare("SELECT report_keep_versions AS keep FROM tenant_settings WHERE tenant = ?").bind(tenant).first<{ keep: number | null }>();
  return { reports: { keepVersions: row?.keep ?? null } };
}

export const settingsApi = newRouter()
  .openapi(getRouteDef, async (c) => c.json(await read(c.env, c.get("principal").tenant), 200))
  .openapi(putRouteDef, async (c) => {
    const settings = c.req.valid("json");
    const tenant = c.get("principal").tenant;
    await c.env.DB.prepare(
      `INSERT INTO tenant_settings (tenant, report_keep_versions, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (tenant) DO UPDATE SET report_keep_versions = excluded.report_keep_versions, updated_at = excluded.updated_at`,
    )
      .bind(tenant, settings.reports.keepVersions, Date.now())
      .run();
    return c.json(await read(c.env, tenant), 200);
  });
