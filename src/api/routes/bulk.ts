import { createRoute, z } from "@hono/zod-openapi";
import { countBulk } from "../../engine/bulk";
import { idLowerBound } from "../../engine/ids";
import { toJob } from "../../engine/job-view";
import { prepareJobs, submitJobs } from "../../engine/submit";
import { JobsBulkInput } from "../../jobs/jobs-bulk";
import { errorResponses, jsonBody, jsonContent, withLocation } from "../../schemas/common";
import { JobSchema } from "../../schemas/job";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";

const BulkQuery = z.object({
  dryRun: z.enum(["true", "false"]).default("false").transform((v) => v === "true")
    .describe("Count the jobs the action would change now, and change nothing."),
});

const BulkCountSchema = z.object({ action: z.string(), matched: z.number().int() }).openapi("BulkCount");

const bulkRoute = createRoute({
  method: "post",
  path: "/",
  operationId: "bulkJobs",
  summary: "Cancel or retry many jobs: named by id, or every one matching a filter",
  description:
    "Starts a `jobs.bulk` job that acts in batches of 100, each checkpointed; watch it like any job (`/jobs/{id}/events`), " +
    "its result counts what changed. Jobs created after the request are left alone. `?dryRun=true` answers how many jobs it would change.",
  tags: ["jobs"],
  middleware: [requireScope("jobs:write")] as const,
  request: { query: BulkQuery, ...jsonBody(JobsBulkInput) },
  responses: {
    202: withLocation(jsonContent(JobSchema, "The bulk action, as a job; the Location header points at it")),
    200: jsonContent(BulkCountSchema, "With dryRun: how many jobs the action would change now"),
    ...errorResponses(413, 422, 429),
  },
});

export const bulkApi = newRouter().openapi(bulkRoute, async (c) => {
  const input = c.req.valid("json");
  const now = Date.now();
  // Jobs created from now on are not part of what the caller saw and asked for.
  const before = input.before ?? (input.filter ? idLowerBound("job", now + 1) : undefined);
  const selection = { ids: input.ids, filter: input.filter, before };
  const principal = c.get("principal");
  if (c.req.valid("query").dryRun) {
    return c.json({ action: input.action, matched: await countBulk(c.env, principal.tenant, input.action, selection) }, 200);
  }
  const request = { type: "jobs.bulk", input: { ...input, ...(before ? { before } : {}) }, priority: "high" as const, tags: [] };
  const rows = prepareJobs(principal.tenant, [request], now, () => "");
  const { jobs: [job] } = await submitJobs(c.env, principal, rows, now);
  c.header("Location", `/api/v1/jobs/${job!.id}`);
  return c.json(toJob(job!), 202);
});
