import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, gt } from "drizzle-orm";
import { batchItems, jobs } from "../../db/schema";
import { iso } from "../../engine/job-view";
import { viewOfInput } from "../../secrets/redact";
import { IdParam, errorResponses, jsonContent, listOf } from "../../schemas/common";
import { newRouter } from "../context";
import { notFound } from "../errors";
import { requireScope } from "../middleware/auth";
import { cursorWith, decodeCursor, pageOf } from "../pagination";

const BatchItemSchema = z
  .object({
    index: z.number().int(),
    status: z.enum(["pending", "succeeded", "failed", "cancelled"]),
    input: z.unknown(),
    result: z.unknown().nullable(),
    error: z.object({ name: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
    attempts: z.number().int(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("BatchItem");

const itemsRouteDef = createRoute({
  method: "get",
  path: "/{id}/items",
  operationId: "listJobItems",
  summary: "A batch job's items with their status, result and error, in order",
  tags: ["jobs"],
  middleware: [requireScope("jobs:read")] as const,
  request: {
    params: IdParam,
    query: z.object({
      status: z.enum(["pending", "succeeded", "failed", "cancelled"]).optional(),
      limit: z.coerce.number().int().min(1).max(1_000).default(100),
      cursor: z.string().max(300).optional(),
    }),
  },
  responses: { 200: jsonContent(listOf(BatchItemSchema, "BatchItemList"), "A page"), ...errorResponses(404) },
});

/** The fields of a batch item the route shows. */
const ITEM_FIELDS = {
  idx: batchItems.idx,
  status: batchItems.status,
  input: batchItems.input,
  result: batchItems.result,
  error: batchItems.error,
  attempts: batchItems.attempts,
  startedAt: batchItems.startedAt,
  finishedAt: batchItems.finishedAt,
};
type ItemRow = Pick<typeof batchItems.$inferSelect, keyof typeof ITEM_FIELDS>;

const isCursor = cursorWith("i", "number");

export const batchItemsApi = newRouter().openapi(itemsRouteDef, async (c) => {
  const { id } = c.req.valid("param");
  const { status, limit, cursor } = c.req.valid("query");
  const db = c.get("db");
  const job = await db
    .select({ type: jobs.type })
    .from(jobs)
    .where(and(eq(jobs.id, id), eq(jobs.tenant, c.get("principal").tenant)))
    .get();
  if (!job || job.type !== "batch") throw notFound(`batch job ${id}`);
  const after = cursor ? decodeCursor(cursor, isCursor).i : -1;
  const results: ItemRow[] = await db
    .select(ITEM_FIELDS)
    .from(batchItems)
    .where(and(eq(batchItems.jobId, id), gt(batchItems.idx, after), status ? eq(batchItems.status, status) : undefined))
    .orderBy(asc(batchItems.idx))
    .limit(limit + 1);
  const view = (r: ItemRow) => ({
    index: r.idx,
    status: r.status,
    input: viewOfInput(r.input),
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
    error: r.error === null ? null : JSON.parse(r.error),
    attempts: r.attempts,
    startedAt: r.startedAt === null ? null : iso(r.startedAt),
    finishedAt: r.finishedAt === null ? null : iso(r.finishedAt),
  });
  return c.json(pageOf(results, limit, view, (r) => ({ i: r.idx })), 200);
});
