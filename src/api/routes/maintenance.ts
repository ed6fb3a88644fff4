import { createRoute, z } from "@hono/zod-openapi";
import { cleanUpJobs } from "../../housekeeping/jobs";
import { jsonContent } from "../../schemas/common";
import { ADMIN_TENANT } from "../../auth/principal";
import { forEveryDatabase, tenantEnv } from "../../db/shards";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { requireScope } from "../middleware/auth";

const ALL_TENANTS = "*";

const CleanupQuery = z.object({
  tenant: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .describe(`Platform admin (the \`${ADMIN_TENANT}\` tenant) only: clean up this tenant, or \`${ALL_TENANTS}\` for every tenant. Default: the caller's tenant.`),
});

const CleanupSchema = z
  .object({
    tenants: z.number().int().describe("tenants cleaned up"),
    jobs: z.number().int().describe("finished jobs deleted, past their tenant's retention"),
    attempts: z.number().int(),
    logs: z.number().int(),
    artefacts: z.number().int().describe("R2 objects the deleted jobs produced (export outputs, import error reports, leftover segments)"),
    more: z.boolean().describe("the run stopped at its cap; call again (or let the Cron Trigger) for the rest"),
  })
  .openapi("CleanupResult");

const cleanupRoute = createRoute({
  method: "post",
  path: "/cleanup",
  operationId: "runCleanup",
  summary: "Run job housekeeping now: delete finished jobs past their retention, a bounded batch per call",
  tags: ["operations"],
  middleware: [requireScope("admin")] as const,
  request: { query: CleanupQuery },
  responses: { 200: jsonContent(CleanupSchema, "What was deleted") },
});

export const maintenanceApi = newRouter().openapi(cleanupRoute, async (c) => {
  const { tenant: asked } = c.req.valid("query");
  const caller = c.get("principal").tenant;
  if (asked !== undefined && asked !== caller && caller !== ADMIN_TENANT) {
    throw new ApiError(403, "forbidden", "only the platform admin cleans up other tenants");
  }
  if (asked === ALL_TENANTS) return c.json(sumOf(await forEveryDatabase(c.env, (shard) => cleanUpJobs(shard))), 200);
  const tenant = asked ?? caller;
  return c.json(await cleanUpJobs(tenantEnv(c.env, tenant), { tenant }), 200);
});

/** Every database's cleanup as one report: `more` if any of them stopped at a cap. */
function sumOf(reports: Awaited<ReturnType<typeof cleanUpJobs>>[]) {
  const total = { tenants: 0, jobs: 0, attempts: 0, logs: 0, artefacts: 0, more: false };
  for (const r of reports) {
    total.tenants += r.tenants;
    total.jobs += r.jobs;
    total.attempts += r.attempts;
    total.logs += r.logs;
    total.artefacts += r.artefacts;
    total.more ||= r.more;
  }
  return total;
}
