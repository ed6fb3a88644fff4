import { createRoute, z } from "@hono/zod-openapi";
import { iso } from "../../engine/job-view";
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
  responses: { 200: jsonContent(listOf(BatchItemSchema, "BatchItemList"), "A page"), ...errorResponses(400, 401, 403, 404) },
});

interface ItemRow {
  idx: number;
  status: "pending" | "succeeded" | "failed" | "cancelled";
  input: string;
  result: string | null;
  error: string | null;
  attempts: number;
  startedAt: number | null;
  finishedAt: number | null;
}

const isCursor = cursorWith("i", "number");

export const batchItemsApi = newRouter().openapi(itemsRouteDef, async (c) => {
  const { id } = c.req.valid("param");
  const { status, limit, cursor } = c.req.valid("query");
  const job = await c.env.DB.prepare("SELECT type FROM jobs WHERE id = ? AND tenant = ?").bind(id, c.get("principal").tenant).first<{ type: string }>();
  if (!job || job.type !== "batch") throw notFound(`batch job ${id}`);
  const after = cursor ? decodeCursor(cursor, isCursor).i : -1;
  const { results } = await c.env.DB.prepare(
    `SELECT idx, status, input, result, error, attempts, started_at AS startedAt, finished_at AS finishedAt FROM batch_items
     WHERE job_id = ?1 AND idx > ?2 AND (?3 IS NULL OR status = ?3) ORDER BY idx LIMIT ?4`,
  )
    .bind(id, after, status ?? null, limit + 1)
    .all<ItemRow>();
  const view = (r: ItemRow) => ({
    index: r.idx,
    status: r.status,
    input: JSON.parse(r.input) as unknown,
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
    error: r.error === null ? null : JSON.parse(r.error),
    attempts: r.attempts,
    startedAt: r.startedAt === null ? null : iso(r.startedAt),
    finishedAt: r.finishedAt === null ? null : iso(r.finishedAt),
  });
  return c.json(pageOf(results, limit, view, (r) => ({ i: r.idx })), 200);
});
