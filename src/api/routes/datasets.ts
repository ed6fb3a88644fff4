import { createRoute, z } from "@hono/zod-openapi";
import { type SQL, and, asc, eq, gt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { datasetRows, datasets } from "../../db/schema";
import { iso } from "../../engine/job-view";
import { DATASET_NAME } from "../../jobs/bulk-import";
import { errorResponses, jsonContent } from "../../schemas/common";
import { DatasetListSchema, DatasetPageQuery, DatasetRowListSchema, DatasetSchema } from "../../schemas/dataset";
import { newRouter } from "../context";
import { notFound } from "../errors";
import { requireScope } from "../middleware/auth";
import { cursorWith, decodeCursor, pageOf } from "../pagination";

const NameParam = z.object({ name: z.string().regex(DATASET_NAME).openapi({ param: { name: "name", in: "path" } }) });

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listDatasets",
  summary: "List the tenant's datasets",
  tags: ["datasets"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: DatasetPageQuery },
  responses: { 200: jsonContent(DatasetListSchema, "A page") },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/{name}",
  operationId: "getDataset",
  summary: "Get a dataset: its schema and row count",
  tags: ["datasets"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: NameParam },
  responses: { 200: jsonContent(DatasetSchema, "The dataset"), ...errorResponses(404) },
});

const rowsRouteDef = createRoute({
  method: "get",
  path: "/{name}/rows",
  operationId: "listDatasetRows",
  summary: "Page through a dataset's rows in key order",
  tags: ["datasets"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: NameParam, query: DatasetPageQuery },
  responses: { 200: jsonContent(DatasetRowListSchema, "A page"), ...errorResponses(404) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{name}",
  operationId: "deleteDataset",
  summary: "Delete a dataset and its rows",
  tags: ["datasets"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: NameParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404) },
});

/** A dataset with the count of its rows, as the list and get routes read it. */
const DATASET_FIELDS = {
  name: datasets.name,
  schema: datasets.schema,
  createdAt: datasets.createdAt,
  updatedAt: datasets.updatedAt,
  rows: datasets.rowCount,
};

type DatasetWithCount = Pick<typeof datasets.$inferSelect, "name" | "schema" | "createdAt" | "updatedAt"> & { rows: number };

const toDataset = (r: DatasetWithCount) => ({
  name: r.name,
  schema: JSON.parse(r.schema),
  rows: r.rows,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

const selectDatasets = (db: Database, ...where: (SQL | undefined)[]) =>
  db.select(DATASET_FIELDS).from(datasets).where(and(...where));

const isKeyCursor = cursorWith("k", "string");

export const datasetsApi = newRouter()
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, isKeyCursor).k : null;
    const results = await selectDatasets(c.get("db"), eq(datasets.tenant, c.get("principal").tenant), after === null ? undefined : gt(datasets.name, after))
      .orderBy(asc(datasets.name))
      .limit(limit + 1);
    return c.json(pageOf(results, limit, toDataset, (r) => ({ k: r.name })), 200);
  })
  .openapi(getRouteDef, async (c) => {
    const { name } = c.req.valid("param");
    const row = await selectDatasets(c.get("db"), eq(datasets.tenant, c.get("principal").tenant), eq(datasets.name, name)).get();
    if (!row) throw notFound(`dataset ${name}`);
    return c.json(toDataset(row), 200);
  })
  .openapi(rowsRouteDef, async (c) => {
    const { name } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const tenant = c.get("principal").tenant;
    const db = c.get("db");
    const exists = await db
      .select({ name: datasets.name })
      .from(datasets)
      .where(and(eq(datasets.tenant, tenant), eq(datasets.name, name)))
      .get();
    if (!exists) throw notFound(`dataset ${name}`);
    const after = cursor ? decodeCursor(cursor, isKeyCursor).k : null;
    const results = await db
      .select({
        key: datasetRows.key,
        sourceRow: datasetRows.sourceRow,
        jobId: datasetRows.jobId,
        data: datasetRows.data,
        updatedAt: datasetRows.updatedAt,
      })
      .from(datasetRows)
      .where(and(eq(datasetRows.tenant, tenant), eq(datasetRows.dataset, name), after === null ? undefined : gt(datasetRows.key, after)))
      .orderBy(asc(datasetRows.key))
      .limit(limit + 1);
    return c.json(
      pageOf(results, limit, (r) => ({ ...r, data: JSON.parse(r.data), updatedAt: iso(r.updatedAt) }), (r) => ({ k: r.key })),
      200,
    );
  })
  .openapi(deleteRouteDef, async (c) => {
    const { name } = c.req.valid("param");
    const tenant = c.get("principal").tenant;
    const db = c.get("db");
    const [, deleted] = await db.batch([
      db.delete(datasetRows).where(and(eq(datasetRows.tenant, tenant), eq(datasetRows.dataset, name))),
      db.delete(datasets).where(and(eq(datasets.tenant, tenant), eq(datasets.name, name))).returning({ name: datasets.name }),
    ]);
    if (deleted.length === 0) throw notFound(`dataset ${name}`);
    return c.body(null, 204);
  });
