import { createRoute, z } from "@hono/zod-openapi";
import { DatasetSchemaSchema } from "../../datasets/fields";
import { iso } from "../../engine/job-view";
import { DATASET_NAME } from "../../jobs/bulk-import";
import { errorResponses, jsonContent, listOf } from "../../schemas/common";
import { newRouter } from "../context";
import { notFound } from "../errors";
import { requireScope } from "../middleware/auth";
import { cursorWith, decodeCursor, pageOf } from "../pagination";

const NameParam = z.object({ name: z.string().regex(DATASET_NAME).openapi({ param: { name: "name", in: "path" } }) });
const Page = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(100), cursor: z.string().max(500).optional() });

const DatasetView = z
  .object({ name: z.string(), schema: DatasetSchemaSchema, rows: z.number().int(), createdAt: z.string(), updatedAt: z.string() })
  .openapi("Dataset");
const RowView = z
  .object({ key: z.string(), sourceRow: z.number().int(), jobId: z.string(), data: z.record(z.string(), z.unknown()), updatedAt: z.string() })
  .openapi("DatasetRow");

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  summary: "List the tenant's datasets",
  tags: ["datasets"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: Page },
  responses: { 200: jsonContent(listOf(DatasetView, "DatasetList"), "A page"), ...errorResponses(400, 401, 403) },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/{name}",
  summary: "Get a dataset: its schema and row count",
  tags: ["datasets"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: NameParam },
  responses: { 200: jsonContent(DatasetView, "The dataset"), ...errorResponses(400, 401, 403, 404) },
});

const rowsRouteDef = createRoute({
  method: "get",
  path: "/{name}/rows",
  summary: "Page through a dataset's rows in key order",
  tags: ["datasets"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: NameParam, query: Page },
  responses: { 200: jsonContent(listOf(RowView, "DatasetRowList"), "A page"), ...errorResponses(400, 401, 403, 404) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{name}",
  summary: "Delete a dataset and its rows",
  tags: ["datasets"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: NameParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

interface DatasetRowRecord {
  name: string;
  schema: string;
  rows: number;
  createdAt: number;
  updatedAt: number;
}

const toDataset = (r: DatasetRowRecord) => ({
  name: r.name,
  schema: JSON.parse(r.schema),
  rows: r.rows,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

const DATASET_SELECT = `SELECT d.name, d.schema, d.created_at AS createdAt, d.updated_at AS updatedAt,
  (SELECT count(*) FROM dataset_rows r WHERE r.tenant = d.tenant AND r.dataset = d.name) AS rows FROM datasets d`;

const isKeyCursor = cursorWith("k", "string");

export const datasetsApi = newRouter()
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, isKeyCursor).k : null;
    const { results } = await c.env.DB.prepare(`${DATASET_SELECT} WHERE d.tenant = ?1 AND (?2 IS NULL OR d.name > ?2) ORDER BY d.name LIMIT ?3`)
      .bind(c.get("principal").tenant, after, limit + 1)
      .all<DatasetRowRecord>();
    return c.json(pageOf(results, limit, toDataset, (r) => ({ k: r.name })), 200);
  })
  .openapi(getRouteDef, async (c) => {
    const { name } = c.req.valid("param");
    const row = await c.env.DB.prepare(`${DATASET_SELECT} WHERE d.tenant = ? AND d.name = ?`).bind(c.get("principal").tenant, name).first<DatasetRowRecord>();
    if (!row) throw notFound(`dataset ${name}`);
    return c.json(toDataset(row), 200);
  })
  .openapi(rowsRouteDef, async (c) => {
    const { name } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const tenant = c.get("principal").tenant;
    const exists = await c.env.DB.prepare("SELECT 1 FROM datasets WHERE tenant = ? AND name = ?").bind(tenant, name).first();
    if (!exists) throw notFound(`dataset ${name}`);
    const after = cursor ? decodeCursor(cursor, isKeyCursor).k : null;
    const { results } = await c.env.DB.prepare(
      `SELECT key, source_row AS sourceRow, job_id AS jobId, data, updated_at AS updatedAt FROM dataset_rows
       WHERE tenant = ?1 AND dataset = ?2 AND (?3 IS NULL OR key > ?3) ORDER BY key LIMIT ?4`,
    )
      .bind(tenant, name, after, limit + 1)
      .all<{ key: string; sourceRow: number; jobId: string; data: string; updatedAt: number }>();
    return c.json(
      pageOf(results, limit, (r) => ({ ...r, data: JSON.parse(r.data), updatedAt: iso(r.updatedAt) }), (r) => ({ k: r.key })),
      200,
    );
  })
  .openapi(deleteRouteDef, async (c) => {
    const { name } = c.req.valid("param");
    const tenant = c.get("principal").tenant;
    const [, deleted] = await c.env.DB.batch([
      c.env.DB.prepare("DELETE FROM dataset_rows WHERE tenant = ? AND dataset = ?").bind(tenant, name),
      c.env.DB.prepare("DELETE FROM datasets WHERE tenant = ? AND name = ? RETURNING name").bind(tenant, name),
    ]);
    if ((deleted?.results ?? []).length === 0) throw notFound(`dataset ${name}`);
    return c.body(null, 204);
  });
