import { createRoute, z } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { jobLogs } from "../../db/schema";
import { cancelJob, findJob, requeueJob } from "../../engine/control";
import { createdIdBounds, listAttempts, listJobs } from "../../engine/job-list";
import { toAttempt, toJob } from "../../engine/job-view";
import { admitJobs, prepareJobs, submitJobs } from "../../engine/submit";
import { tenantJobTypes } from "../../jobs/tenant-types";
import { IdParam, errorResponses, jsonBody, jsonContent, withLocation, withRateLimit } from "../../schemas/common";
import {
  AttemptListSchema,
  BatchResultSchema,
  JobListSchema,
  JobLogListSchema,
  JobSchema,
  ListJobsQuery,
  SubmitBatchSchema,
  SubmitJobSchema,
} from "../../schemas/job";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { EVENT_TOKEN_TTL_MS, revocableKeyId, signEventToken } from "../event-token";
import { requireScope } from "../middleware/auth";
import { decodeCursor, isIdCursor, pageOf } from "../pagination";

const submitRoute = createRoute({
  method: "post",
  path: "/",
  operationId: "submitJob",
  summary: "Submit a job",
  tags: ["jobs"],
  middleware: [requireScope("jobs:write", { liveCheckedByWrite: true })] as const,
  request: jsonBody(SubmitJobSchema),
  responses: {
    202: withRateLimit(withLocation(jsonContent(JobSchema, "Accepted; the Location header points at the job"))),
    200: withRateLimit(withLocation(jsonContent(JobSchema, "A job with this idempotency key already exists"))),
    ...errorResponses(409, 422, 429),
  },
});

const batchRoute = createRoute({
  method: "post",
  path: "/batch",
  operationId: "submitJobBatch",
  summary: "Submit up to 1,000 jobs at once (all or nothing)",
  tags: ["jobs"],
  middleware: [requireScope("jobs:write", { liveCheckedByWrite: true })] as const,
  request: jsonBody(SubmitBatchSchema),
  responses: { 202: withRateLimit(jsonContent(BatchResultSchema, "Accepted")), ...errorResponses(409, 422, 429) },
});

const listRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "listJobs",
  summary: "List jobs, newest first: filtered, and searched by `q`",
  tags: ["jobs"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: ListJobsQuery },
  responses: { 200: jsonContent(JobListSchema, "A page of jobs") },
});

const getRoute = createRoute({
  method: "get",
  path: "/{id}",
  operationId: "getJob",
  summary: "Get a job",
  tags: ["jobs"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(JobSchema, "The job"), ...errorResponses(404) },
});

const resultRoute = createRoute({
  method: "get",
  path: "/{id}/result",
  operationId: "getJobResult",
  summary: "Get a completed job's result",
  tags: ["jobs"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam },
  responses: {
    200: jsonContent(z.object({ id: z.string(), status: z.literal("completed"), result: z.unknown() }), "The result"),
    ...errorResponses(404, 409),
  },
});

const attemptsRoute = createRoute({
  method: "get",
  path: "/{id}/attempts",
  operationId: "listJobAttempts",
  summary: "List a job's attempts (every attempt series: a retry or replay starts a new one)",
  tags: ["jobs"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(AttemptListSchema, "Attempts, oldest first"), ...errorResponses(404) },
});

const logsRoute = createRoute({
  method: "get",
  path: "/{id}/logs",
  operationId: "listJobLogs",
  summary: "List a job's log lines",
  tags: ["jobs"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(JobLogListSchema, "Log lines, oldest first (at most 1,000)"), ...errorResponses(404) },
});

const cancelRoute = createRoute({
  method: "post",
  path: "/{id}/cancel",
  operationId: "cancelJob",
  summary: "Cancel a job that has not finished",
  tags: ["jobs"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(JobSchema, "Cancelled"), ...errorResponses(404, 409) },
});

const retryRoute = createRoute({
  method: "post",
  path: "/{id}/retry",
  operationId: "retryJob",
  summary: "Run a failed or cancelled job again, as a fresh attempt series",
  tags: ["jobs"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam },
  responses: { 202: jsonContent(JobSchema, "Queued again"), ...errorResponses(404, 409) },
});

const EventTokenSchema = z
  .object({ token: z.string(), expiresAt: z.string(), url: z.string() })
  .openapi("EventToken");

const eventTokenRoute = createRoute({
  method: "post",
  path: "/{id}/events/token",
  operationId: "createJobWatchToken",
  summary: "Issue a short-lived token to watch one job from a browser",
  tags: ["events"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam },
  responses: { 201: jsonContent(EventTokenSchema, "Use as ?token= on the events URL"), ...errorResponses(404) },
});

export const jobsApi = newRouter()
  .openapi(submitRoute, async (c) => {
    const request = c.req.valid("json");
    const tenant = c.get("principal").tenant;
    const types = await tenantJobTypes(c.env, tenant, [request.type]);
    const rows = prepareJobs(tenant, [request], Date.now(), () => "", { types });
    await admitJobs(c.env, tenant, rows, () => "", types);
    const { jobs: [job], created: [created], rateLimitHeaders } = await submitJobs(c.env, c.get("principal"), rows);
    for (const [name, value] of Object.entries(rateLimitHeaders)) c.header(name, value);
    c.header("Location", `/api/v1/jobs/${job!.id}`);
    return c.json(toJob(job!), created ? 202 : 200);
  })
  .openapi(batchRoute, async (c) => {
    const { jobs: requests } = c.req.valid("json");
    const tenant = c.get("principal").tenant;
    const types = await tenantJobTypes(c.env, tenant, requests.map((r) => r.type));
    const rows = prepareJobs(tenant, requests, Date.now(), (i) => `jobs.${i}.`, { types });
    await admitJobs(c.env, tenant, rows, (i) => `jobs.${i}.`, types);
    const outcome = await submitJobs(c.env, c.get("principal"), rows);
    for (const [name, value] of Object.entries(outcome.rateLimitHeaders)) c.header(name, value);
    const created = outcome.created.filter(Boolean).length;
    return c.json({ items: outcome.jobs.map(toJob), created, existing: outcome.jobs.length - created }, 202);
  })
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const tenant = c.get("principal").tenant;
    const cursor = query.cursor ? decodeCursor(query.cursor, isIdCursor).id : undefined;
    const rows = await listJobs(c.get("db"), c.env.DB, tenant, {
      status: query.status,
      type: query.type,
      priority: query.priority,
      tag: query.tag,
      q: query.q,
      ...createdIdBounds(query.createdAfter, query.createdBefore, cursor),
      limit: query.limit + 1,
    });
    return c.json(pageOf(rows, query.limit, toJob, (r) => ({ id: r.id })), 200);
  })
  .openapi(getRoute, async (c) => {
    const job = await findJob(c.get("db"), c.get("principal").tenant, c.req.valid("param").id);
    return c.json(toJob(job), 200);
  })
  .openapi(resultRoute, async (c) => {
    const job = toJob(await findJob(c.get("db"), c.get("principal").tenant, c.req.valid("param").id));
    if (job.status !== "completed") {
      throw new ApiError(409, "not_completed", `job is ${job.status}; a result exists once it has completed`);
    }
    return c.json({ id: job.id, status: "completed" as const, result: job.result }, 200);
  })
  .openapi(attemptsRoute, async (c) => {
    const db = c.get("db");
    const job = await findJob(db, c.get("principal").tenant, c.req.valid("param").id);
    const rows = await listAttempts(db, job);
    return c.json({ items: rows.map(toAttempt) }, 200);
  })
  .openapi(logsRoute, async (c) => {
    const db = c.get("db");
    const job = await findJob(db, c.get("principal").tenant, c.req.valid("param").id);
    // In the order of job_logs_entry (job, time, then id): the one index a log line enters.
    const rows = await db.select().from(jobLogs).where(eq(jobLogs.jobId, job.id)).orderBy(asc(jobLogs.at), asc(jobLogs.id)).limit(1_000);
    const items = rows.map((r) => ({ seq: r.id, at: new Date(r.at).toISOString(), attempt: r.attempt, level: r.level, message: r.message }));
    return c.json({ items }, 200);
  })
  .openapi(cancelRoute, async (c) => {
    const job = await cancelJob(c.env, c.get("db"), c.get("principal").tenant, c.req.valid("param").id);
    return c.json(toJob(job), 200);
  })
  .openapi(retryRoute, async (c) => {
    const job = await requeueJob(c.env, c.get("db"), c.get("principal").tenant, c.req.valid("param").id);
    return c.json(toJob(job), 202);
  })
  .openapi(eventTokenRoute, async (c) => {
    const principal = c.get("principal");
    const tenant = principal.tenant;
    const job = await findJob(c.get("db"), tenant, c.req.valid("param").id);
    const exp = Date.now() + EVENT_TOKEN_TTL_MS;
    const token = await signEventToken(c.env.SIGNING_SECRET, { tenant, jobId: job.id, exp, keyId: revocableKeyId(principal) });
    const url = `/api/v1/jobs/${job.id}/events?token=${encodeURIComponent(token)}`;
    return c.json({ token, expiresAt: new Date(exp).toISOString(), url }, 201);
  });

