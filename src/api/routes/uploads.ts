import { createRoute, z } from "@hono/zod-openapi";
import { IdParam, PageQuery, errorResponses, header, jsonBody, jsonContent, listOf, rawContent, withHeaders, withLocation } from "../../schemas/common";
import { CompleteMultipartSchema, PartParams, SimpleUploadQuery, StartMultipartSchema, UploadSchema, UploadedPartSchema } from "../../schemas/upload";
import {
  MAX_SIMPLE_UPLOAD_BYTES,
  completeMultipart,
  deleteUpload,
  listUploads,
  requireStored,
  requireUpload,
  startMultipart,
  storeSimple,
  toUpload,
  uploadKey,
  uploadPart,
} from "../../uploads/store";
import { parseByteRange } from "../../uploads/range";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { requireScope } from "../middleware/auth";
import { decodeCursor, isIdCursor, pageOf } from "../pagination";

/** Part bodies are limited by R2 (5 GiB) and, in practice, by the Worker's request size. */
const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

const RangeHeader = z.object({
  range: z.string().optional().openapi({ description: "One range of bytes: `bytes=a-b`, `bytes=a-` or `bytes=-n`. Unsatisfiable: 416 with `Content-Range: bytes */size`." }),
});

const rawBody = { required: true, content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } };

const simpleRouteDef = createRoute({
  method: "post",
  path: "/",
  operationId: "createUpload",
  summary: "Upload a file of up to 100 MiB in one request (the body is the file; Content-Type is kept)",
  tags: ["uploads"],
  middleware: [requireScope("jobs:write")] as const,
  request: { query: SimpleUploadQuery, body: rawBody },
  responses: { 201: withLocation(jsonContent(UploadSchema, "Stored")), ...errorResponses(411, 413) },
});

const startRouteDef = createRoute({
  method: "post",
  path: "/multipart",
  operationId: "startMultipartUpload",
  summary: "Start a multipart upload for a large file",
  tags: ["uploads"],
  middleware: [requireScope("jobs:write")] as const,
  request: jsonBody(StartMultipartSchema),
  responses: { 201: withLocation(jsonContent(UploadSchema, "Started: upload parts, then complete")) },
});

const partRouteDef = createRoute({
  method: "put",
  path: "/{id}/parts/{n}",
  operationId: "uploadPart",
  summary: "Upload part n (at least 5 MiB, except the last)",
  tags: ["uploads"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: PartParams, body: rawBody },
  responses: { 200: jsonContent(UploadedPartSchema, "Stored; keep the etag for complete"), ...errorResponses(404, 409, 411) },
});

const completeRouteDef = createRoute({
  method: "post",
  path: "/{id}/complete",
  operationId: "completeMultipartUpload",
  summary: "Complete a multipart upload from its parts (the whole file's SHA-256 is computed)",
  tags: ["uploads"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam, ...jsonBody(CompleteMultipartSchema) },
  responses: { 200: jsonContent(UploadSchema, "Stored"), ...errorResponses(404, 409, 422) },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listUploads",
  summary: "List uploads, newest first",
  tags: ["uploads"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: PageQuery },
  responses: { 200: jsonContent(listOf(UploadSchema, "UploadList"), "A page") },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/{id}",
  operationId: "getUpload",
  summary: "Get an upload's metadata",
  tags: ["uploads"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(UploadSchema, "The upload"), ...errorResponses(404) },
});

const byteHeaders = {
  ETag: header("The stored object's entity tag"),
  "Accept-Ranges": header("`bytes`"),
  "Content-Length": header("Bytes in this answer", { type: "integer" }),
};

const contentRouteDef = createRoute({
  method: "get",
  path: "/{id}/content",
  operationId: "getUploadContent",
  summary: "Download an upload's bytes (Range requests supported)",
  tags: ["uploads"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam, headers: RangeHeader },
  responses: {
    200: withHeaders(rawContent("The bytes, in the upload's content type (also for a Range in another unit, with several ranges, or malformed)", { "*/*": "binary" }), byteHeaders),
    206: withHeaders(rawContent("The requested range", { "*/*": "binary" }), { ...byteHeaders, "Content-Range": header("`bytes <first>-<last>/<size>`") }),
    ...errorResponses(404, 409),
    416: withHeaders(errorResponses(416)[416]!, { "Content-Range": header("`bytes */<size>`") }),
  },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteUpload",
  summary: "Delete an upload (aborts it if still open); 409 while documents are made from it",
  tags: ["uploads"],
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404, 409) },
});

/** The request's declared body length: streams into R2 need it. */
function declaredLength(c: { req: { header(name: string): string | undefined } }, max: number): number {
  const header = c.req.header("content-length");
  if (header === undefined) throw new ApiError(411, "length_required", "send a Content-Length header");
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0) throw new ApiError(400, "bad_length", "Content-Length is not a byte count");
  if (length > max) throw new ApiError(413, "payload_too_large", `the body is ${length} bytes; at most ${max} here`);
  return length;
}

export const uploadsApi = newRouter()
  .openapi(simpleRouteDef, async (c) => {
    const { name } = c.req.valid("query");
    const length = declaredLength(c, MAX_SIMPLE_UPLOAD_BYTES);
    const body = c.req.raw.body ?? new ReadableStream({ start: (ctl) => ctl.close() });
    const contentType = c.req.header("content-type") ?? "application/octet-stream";
    const row = await storeSimple(c.env, c.get("principal").tenant, { name, contentType }, body, length);
    c.header("Location", `/api/v1/uploads/${row.id}`);
    return c.json(toUpload(row), 201);
  })
  .openapi(startRouteDef, async (c) => {
    const meta = c.req.valid("json");
    const row = await startMultipart(c.env, c.get("principal").tenant, meta);
    c.header("Location", `/api/v1/uploads/${row.id}`);
    return c.json(toUpload(row), 201);
  })
  .openapi(partRouteDef, async (c) => {
    const { id, n } = c.req.valid("param");
    const length = declaredLength(c, MAX_PART_BYTES);
    const row = await requireUpload(c.env, c.get("principal").tenant, id);
    const body = c.req.raw.body ?? new ReadableStream({ start: (ctl) => ctl.close() });
    const part = await uploadPart(c.env, row, n, body, length);
    return c.json({ partNumber: part.partNumber, etag: part.etag }, 200);
  })
  .openapi(completeRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const { parts } = c.req.valid("json");
    const row = await requireUpload(c.env, c.get("principal").tenant, id);
    return c.json(toUpload(await completeMultipart(c.env, row, parts)), 200);
  })
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const before = cursor ? decodeCursor(cursor, isIdCursor).id : null;
    const rows = await listUploads(c.env, c.get("principal").tenant, before, limit + 1);
    return c.json(pageOf(rows, limit, toUpload, (r) => ({ id: r.id })), 200);
  })
  .openapi(getRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(toUpload(await requireUpload(c.env, c.get("principal").tenant, id)), 200);
  })
  .openapi(contentRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const { range: rangeHeader } = c.req.valid("header");
    const row = await requireStored(c.env, c.get("principal").tenant, id);
    const range = parseByteRange(rangeHeader, row.size);
    if (range.kind === "unsatisfiable") {
      throw new ApiError(416, "range_not_satisfiable", `cannot serve ${rangeHeader}: the upload has ${row.size} bytes`, undefined, {
        "content-range": `bytes */${row.size}`,
      });
    }
    const part = range.kind === "part" ? range : undefined;
    // A ranged get reads only the asked bytes from R2.
    const object = await c.env.BUCKET.get(uploadKey(row.tenant, row.id), part ? { range: { offset: part.offset, length: part.length } } : {});
    if (!object) throw new ApiError(404, "content_missing", `the bytes of upload ${id} are missing from storage`);
    const headers: Record<string, string> = { "content-type": row.contentType, "accept-ranges": "bytes", etag: object.httpEtag };
    if (part) {
      headers["content-range"] = `bytes ${part.offset}-${part.offset + part.length - 1}/${row.size}`;
      headers["content-length"] = String(part.length);
      return c.body(object.body, 206, headers);
    }
    headers["content-length"] = String(object.size);
    return c.body(object.body, 200, headers);
  })
  .openapi(deleteRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    await deleteUpload(c.env, await requireUpload(c.env, c.get("principal").tenant, id));
    return c.body(null, 204);
  });
