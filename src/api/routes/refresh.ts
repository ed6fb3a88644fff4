import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { jobTags, jobs } from "../../db/schema";
import { toJob } from "../../engine/job-view";
import { REFRESH_ACTION } from "../../engine/rate-limits";
import { prepareJobs, submitJobs } from "../../engine/submit";
import { JobListSchema, JobSchema, SubmitJobSchema } from "../../schemas/job";
import { PageQuery, errorResponses, jsonBody, jsonContent, withLocation, withRateLimit } from "../../schemas/common";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";
import { decodeCursor, isIdCursor, pageOf } from "../pagination";

const DEFAULT_DEBOUNCE_MS = 1_000;

const ResourceParam = z.object({
  resource: z.string().min(1).max(200).openapi({ param: { name: "resource", in: "path" }, example: "project:42" }),
});

const { type, input, maxAttempts, timeoutMs } = SubmitJobSchema.shape;
const RefreshBody = z
  .object({
    type,
    input,
    maxAttempts,
    timeoutMs,
    debounceMs: z.number().int().min(0).max(3_600_000).default(DEFAULT_DEBOUNCE_MS)
      .describe("A burst of refreshes within this period runs once, with the last input."),
  })
  .strict()
  .openapi("RefreshRequest");

const refreshRouteDef = createRoute({
  method: "post",
  path: "/{resource}",
  operationId: "refreshResource",
  summary: "Refresh a resource: a high-priority job, one at a time per resource, debounced and rate limited",
  tags: ["refresh"],
  middleware: [requireScope("jobs:write", { liveCheckedByWrite: true })] as const,
  request: { params: ResourceParam, ...jsonBody(RefreshBody) },
  responses: {
    202: withRateLimit(withLocation(jsonContent(JobSchema, "A new refresh job"))),
    200: withRateLimit(withLocation(jsonContent(JobSchema, "The refresh already waiting, now with this input"))),
    ...errorResponses(422, 429),
  },
});

const historyRouteDef = createRoute({
  method: "get",
  path: "/{resource}",
  operationId: "listRefreshJobs",
  summary: "The resource's refresh jobs, newest first",
  tags: ["refresh"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: ResourceParam, query: PageQuery },
  responses: { 200: jsonContent(JobListSchema, "A page") },
});

const scopeOf = (resource: string) => `refresh:${resource}`;

export const refreshApi = newRouter()
  .openapi(refreshRouteDef, async (c) => {
    const { resource } = c.req.valid("param");
    const { debounceMs, ...job } = c.req.valid("json");
    const key = scopeOf(resource);
    const request = {
      ...job,
      priority: "high" as const,
      tags: [key],
      concurrencyKey: key,
      concurrencyLimit: 1,
      ...(debounceMs > 0 ? { debounce: { key, periodMs: debounceMs } } : {}),
    };
    const rows = prepareJobs(c.get("principal").tenant, [request], Date.now(), () => "", { rate: { action: REFRESH_ACTION, key: resource } });
    const { jobs: [row], created: [created], rateLimitHeaders } = await submitJobs(c.env, c.get("principal"), rows);
    for (const [name, value] of Object.entries(rateLimitHeaders)) c.header(name, value);
    c.header("Location", `/api/v1/jobs/${row!.id}`);
    return c.json(toJob(row!), created ? 202 : 200);
  })
  .openapi(historyRouteDef, async (c) => {
    const { resource } = c.req.valid("param");
    const query = c.req.valid("query");
    const cursor = query.cursor ? decodeCursor(query.cursor, isIdCursor).id : undefined;
    const rows = await c.get("db")
      .select({ job: jobs })
      .from(jobTags)
      .innerJoin(jobs, eq(jobs.id, jobTags.jobId))
      .where(and(eq(jobTags.tenant, c.get("principal").tenant), eq(jobTags.tag, scopeOf(resource)), cursor ? lt(jobTags.jobId, cursor) : undefined))
      .orderBy(desc(jobTags.jobId))
      .limit(query.limit + 1);
    return c.json(pageOf(rows.map((r) => r.job), query.limit, toJob, (r) => ({ id: r.id })), 200);
  });
