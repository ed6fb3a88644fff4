import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt, or } from "drizzle-orm";
import { deadLetters, jobs } from "../../db/schema";
import { requeueJob } from "../../engine/control";
import { iso, toJob } from "../../engine/job-view";
import { purgeDeadLetters, removeDeadLetter } from "../../engine/store/removal";
import { IdParam, errorResponses, jsonContent } from "../../schemas/common";
import { DeadLetterListSchema, ListDeadLettersQuery, PurgedDeadLettersSchema } from "../../schemas/dead-letter";
import { JobSchema } from "../../schemas/job";
import { newRouter } from "../context";
import { notFound } from "../errors";
import { requireScope } from "../middleware/auth";
import { decodeCursor, pageOf } from "../pagination";

const listRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "listDeadLetters",
  summary: "List jobs that failed for good, most recent first",
  tags: ["dead letters"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: ListDeadLettersQuery },
  responses: { 200: jsonContent(DeadLetterListSchema, "A page") },
});

const replayRoute = createRoute({
  method: "post",
  path: "/{id}/replay",
  operationId: "replayDeadLetter",
  summary: "Run a dead-lettered job again as a fresh attempt series",
  tags: ["dead letters"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam },
  responses: { 202: jsonContent(JobSchema, "Queued again"), ...errorResponses(404, 409) },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteDeadLetter",
  summary: "Discard a dead letter (the failed job stays in the job list)",
  tags: ["dead letters"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Discarded" }, ...errorResponses(404) },
});

const purgeRoute = createRoute({
  method: "delete",
  path: "/",
  operationId: "deleteDeadLetters",
  summary: "Discard every dead letter of the tenant",
  tags: ["dead letters"],
  middleware: [requireScope("jobs:write")] as const,
  responses: { 200: jsonContent(PurgedDeadLettersSchema, "How many were discarded") },
});

const isCursor = (v: unknown): v is { failedAt: number; id: string } =>
  typeof v === "object" && v !== null && typeof (v as { failedAt?: unknown }).failedAt === "number" &&
  typeof (v as { id?: unknown }).id === "string";

export const deadLettersApi = newRouter()
  .openapi(listRoute, async (c) => {
    const { limit, cursor, type } = c.req.valid("query");
    const tenant = c.get("principal").tenant;
    const after = cursor ? decodeCursor(cursor, isCursor) : undefined;
    const rows = await c
      .get("db")
      .select({ job: jobs, failedAt: deadLetters.failedAt, error: deadLetters.error })
      .from(deadLetters)
      .innerJoin(jobs, eq(jobs.id, deadLetters.jobId))
      .where(
        and(
          eq(deadLetters.tenant, tenant),
          type ? eq(jobs.type, type) : undefined,
          after
            ? or(lt(deadLetters.failedAt, after.failedAt), and(eq(deadLetters.failedAt, after.failedAt), lt(deadLetters.jobId, after.id)))
            : undefined,
        ),
      )
      .orderBy(desc(deadLetters.failedAt), desc(deadLetters.jobId))
      .limit(limit + 1);
    const page = pageOf(
      rows,
      limit,
      (r) => ({ job: toJob(r.job), failedAt: iso(r.failedAt), error: r.error ? JSON.parse(r.error) : null }),
      (r) => ({ failedAt: r.failedAt, id: r.job.id }),
    );
    return c.json(page, 200);
  })
  .openapi(replayRoute, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = c.get("principal").tenant;
    const letter = await c.get("db").select().from(deadLetters).where(and(eq(deadLetters.jobId, id), eq(deadLetters.tenant, tenant))).get();
    if (!letter) throw notFound(`dead letter ${id}`);
    return c.json(toJob(await requeueJob(c.env, c.get("db"), tenant, id)), 202);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await removeDeadLetter(c.get("db"), c.get("principal").tenant, id))) throw notFound(`dead letter ${id}`);
    return c.body(null, 204);
  })
  .openapi(purgeRoute, async (c) => {
    return c.json({ purged: await purgeDeadLetters(c.get("db"), c.get("principal").tenant) }, 200);
  });
