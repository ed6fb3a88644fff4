import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { documents } from "../../db/schema";
import { type DocumentRow, deleteDocuments, findDocument, toDocument } from "../../documents/store";
import { newId } from "../../engine/ids";
import { prepareJobs, submitJobs } from "../../engine/submit";
import { IdParam, errorResponses, jsonBody, jsonContent, withLocation } from "../../schemas/common";
import {
  DeleteDocumentsSchema,
  DeletedDocumentsSchema,
  DocumentBatchSchema,
  DocumentListSchema,
  DocumentSchema,
  ListDocumentsQuery,
  RegisterDocumentBatchSchema,
  RegisterDocumentSchema,
} from "../../schemas/document";
import { findUpload } from "../../uploads/store";
import { newRouter } from "../context";
import { ApiError, notFound } from "../errors";
import { requireScope } from "../middleware/auth";
import { decodeCursor, isIdCursor, pageOf } from "../pagination";

const registerRouteDef = createRoute({
  method: "post",
  path: "/",
  operationId: "createDocument",
  summary: "Register an uploaded file as a document of a collection; a document.ingest job indexes it",
  tags: ["documents"],
  middleware: [requireScope("jobs:write")] as const,
  request: jsonBody(RegisterDocumentSchema),
  responses: { 202: withLocation(jsonContent(DocumentSchema, "Registered; its job is queued")), ...errorResponses(422, 429) },
});

const registerBatchRouteDef = createRoute({
  method: "post",
  path: "/batch",
  operationId: "createDocumentBatch",
  summary: "Register up to 100 documents at once (all or nothing)",
  tags: ["documents"],
  middleware: [requireScope("jobs:write")] as const,
  request: jsonBody(RegisterDocumentBatchSchema),
  responses: { 202: jsonContent(DocumentBatchSchema, "Registered"), ...errorResponses(422, 429) },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listDocuments",
  summary: "List documents, newest first; filter by collection, status and metadata (meta.<field>=value)",
  tags: ["documents"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: ListDocumentsQuery },
  responses: { 200: jsonContent(DocumentListSchema, "A page") },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/{id}",
  operationId: "getDocument",
  summary: "Get a document",
  tags: ["documents"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(DocumentSchema, "The document"), ...errorResponses(404) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteDocument",
  summary: "Delete a document: its chunks, its index entries, and its upload unless another document was made from it",
  tags: ["documents"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404) },
});

const deleteBatchRouteDef = createRoute({
  method: "post",
  path: "/batch-delete",
  operationId: "deleteDocumentBatch",
  summary: "Delete up to 100 documents at once",
  tags: ["documents"],
  middleware: [requireScope("jobs:write")] as const,
  request: jsonBody(DeleteDocumentsSchema),
  responses: { 200: jsonContent(DeletedDocumentsSchema, "Deleted") },
});

/** Registers documents and submits their ingest jobs; documents whose job could not be submitted are removed. */
async function register(env: Env, principal: Parameters<typeof submitJobs>[1], requests: z.output<typeof RegisterDocumentSchema>[]) {
  const tenant = principal.tenant;
  const issues: { path: string; message: string }[] = [];
  const uploads = await Promise.all(requests.map((r) => findUpload(env, tenant, r.uploadId)));
  uploads.forEach((u, i) => {
    if (!u || u.status !== "stored") issues.push({ path: `documents.${i}.uploadId`, message: `upload ${requests[i]!.uploadId} not found or not complete` });
  });
  if (issues.length > 0) throw new ApiError(422, "invalid_document", "the documents were not registered", issues);
  const now = Date.now();
  const docs: DocumentRow[] = requests.map((r, i) => ({
    id: newId("doc", now),
    tenant,
    collection: r.collection,
    name: r.name ?? uploads[i]!.name,
    uploadId: r.uploadId,
    contentType: uploads[i]!.contentType,
    size: uploads[i]!.size ?? 0,
    status: "pending",
    metadata: JSON.stringify(r.metadata),
    chunks: 0,
    textLength: null,
    error: null,
    jobId: null,
    createdAt: now,
    updatedAt: now,
  }));
  const jobs = prepareJobs(
    tenant,
    docs.map((d, i) => ({
      type: "document.ingest",
      input: { documentId: d.id, chunkSize: requests[i]!.chunkSize, chunkOverlap: requests[i]!.chunkOverlap },
      priority: "normal",
      tags: [`collection:${d.collection}`],
    })),
    now,
    (i) => `documents.${i}.`,
  );
  docs.forEach((d, i) => (d.jobId = jobs[i]!.id));
  await env.DB.prepare(
    `INSERT INTO documents (id, tenant, collection, name, upload_id, content_type, size, status, metadata, chunks, job_id, created_at, updated_at)
     SELECT d.value->>'id', d.value->>'tenant', d.value->>'collection', d.value->>'name', d.value->>'uploadId', d.value->>'contentType',
            d.value->>'size', 'pending', d.value->>'metadata', 0, d.value->>'jobId', d.value->>'createdAt', d.value->>'updatedAt'
     FROM json_each(?) AS d`,
  )
    .bind(JSON.stringify(docs))
    .run();
  try {
    await submitJobs(env, principal, jobs);
  } catch (err) {
    await env.DB.prepare("DELETE FROM documents WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(docs.map((d) => d.id))).run();
    throw err;
  }
  return docs;
}

export const documentsApi = newRouter()
  .openapi(registerRouteDef, async (c) => {
    const [doc] = await register(c.env, c.get("principal"), [c.req.valid("json")]);
    c.header("Location", `/api/v1/documents/${doc!.id}`);
    return c.json(toDocument(doc!), 202);
  })
  .openapi(registerBatchRouteDef, async (c) => {
    const docs = await register(c.env, c.get("principal"), c.req.valid("json").documents);
    return c.json({ items: docs.map(toDocument) }, 202);
  })
  .openapi(listRouteDef, async (c) => {
    const { collection, status, limit, cursor, ...rest } = c.req.valid("query");
    const meta = Object.entries(rest).filter(([k]) => k.startsWith("meta.")).map(([k, v]) => [k.slice(5), v] as const);
    const unknown = Object.keys(rest).filter((k) => !k.startsWith("meta.") || !/^meta\.[A-Za-z0-9_]{1,64}$/.test(k));
    if (unknown.length > 0) throw new ApiError(400, "validation_failed", `unknown query parameters: ${unknown.join(", ")}`);
    const results = await c
      .get("db")
      .select()
      .from(documents)
      .where(
        and(
          eq(documents.tenant, c.get("principal").tenant),
          collection ? eq(documents.collection, collection) : undefined,
          status ? eq(documents.status, status) : undefined,
          // The field names were checked above (letters, digits and _), so they can be part of the JSON path.
          ...meta.map(([field, value]) => sql`CAST(${documents.metadata}->>${sql.raw(`'$.${field}'`)} AS TEXT) = ${value}`),
          cursor ? lt(documents.id, decodeCursor(cursor, isIdCursor).id) : undefined,
        ),
      )
      .orderBy(desc(documents.id))
      .limit(limit + 1);
    return c.json(pageOf(results, limit, toDocument, (r) => ({ id: r.id })), 200);
  })
  .openapi(getRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const doc = await findDocument(c.env, c.get("principal").tenant, id);
    if (!doc) throw notFound(`document ${id}`);
    return c.json(toDocument(doc), 200);
  })
  .openapi(deleteRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const doc = await findDocument(c.env, c.get("principal").tenant, id);
    if (!doc) throw notFound(`document ${id}`);
    await deleteDocuments(c.env, [doc]);
    return c.body(null, 204);
  })
  .openapi(deleteBatchRouteDef, async (c) => {
    const { ids } = c.req.valid("json");
    const tenant = c.get("principal").tenant;
    // The ids go in as one JSON parameter: D1 binds at most 100 per statement.
    const results = await c
      .get("db")
      .select()
      .from(documents)
      .where(and(eq(documents.tenant, tenant), sql`${documents.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`));
    await deleteDocuments(c.env, results);
    const found = new Set(results.map((r) => r.id));
    return c.json({ deleted: results.length, missing: ids.filter((id) => !found.has(id)) }, 200);
  });
