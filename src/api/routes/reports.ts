import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { reportVersions, reports } from "../../db/schema";
import { importArchive } from "../../reports/archive";
import { exportArchive } from "../../reports/archive-export";
import { blobKey } from "../../reports/blobs";
import { assertDiffable, unifiedDiff } from "../../reports/diff";
import { contentTypeOf } from "../../reports/formats";
import { deleteReport, findReport, findVersion, pruneVersions } from "../../reports/queries";
import { type ReportRow, type VersionRow, storeVersion } from "../../reports/store";
import { toReport, toVersion } from "../../reports/views";
import { IdParam, PageQuery, errorResponses, header, jsonBody, jsonContent, listOf, nullable, rawContent, withHeaders, withLocation } from "../../schemas/common";
import { ReportSchema, ReportVersionSchema, StoreReportSchema, StoredVersionSchema, VersionParams, versionContentResponses } from "../../schemas/report";
import { newRouter } from "../context";
import { ApiError, notFound } from "../errors";
import { requireScope } from "../middleware/auth";
import { cursorWith, decodeCursor, isIdCursor, pageOf } from "../pagination";

/** Direct stores carry their content in the JSON body. */
const MAX_DIRECT_CONTENT_BYTES = 10 * 1024 * 1024;

const storeRouteDef = createRoute({
  method: "post",
  path: "/",
  operationId: "createReportVersion",
  summary: "Store a report version directly (the report is created if new)",
  tags: ["reports"],
  middleware: [requireScope("reports:write")] as const,
  request: jsonBody(StoreReportSchema),
  responses: {
    201: withLocation(jsonContent(StoredVersionSchema, "A new version; the Location header is its content URL")),
    200: jsonContent(StoredVersionSchema, "The content equals the latest version: nothing was stored"),
    ...errorResponses(413, 422),
  },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listReports",
  summary: "List reports, newest first",
  tags: ["reports"],
  middleware: [requireScope("reports:read")] as const,
  request: {
    query: PageQuery,
  },
  responses: { 200: jsonContent(listOf(ReportSchema, "ReportList"), "A page") },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/{id}",
  operationId: "getReport",
  summary: "Get a report with its latest version",
  tags: ["reports"],
  middleware: [requireScope("reports:read")] as const,
  request: { params: IdParam },
  responses: {
    200: jsonContent(ReportSchema.extend({ latest: nullable(ReportVersionSchema) }), "The report"),
    ...errorResponses(404),
  },
});

const versionsRouteDef = createRoute({
  method: "get",
  path: "/{id}/versions",
  operationId: "listReportVersions",
  summary: "List a report's versions, newest first",
  tags: ["reports"],
  middleware: [requireScope("reports:read")] as const,
  request: {
    params: IdParam,
    query: PageQuery,
  },
  responses: { 200: jsonContent(listOf(ReportVersionSchema, "ReportVersionList"), "A page"), ...errorResponses(404) },
});

const contentRouteDef = createRoute({
  method: "get",
  path: "/{id}/versions/{n}",
  operationId: "getReportVersionContent",
  summary: "Download a version's content (streamed from R2, with its content type)",
  tags: ["reports"],
  middleware: [requireScope("reports:read")] as const,
  request: { params: VersionParams },
  responses: { ...versionContentResponses, ...errorResponses(404) },
});

const diffRouteDef = createRoute({
  method: "get",
  path: "/{id}/diff",
  operationId: "diffReportVersions",
  summary: "Unified diff between two versions of a text report",
  description: "Bounded: each version at most 1 MiB and 50,000 lines, and at most 500 lines added or removed between them; beyond a bound the answer is 422 `diff_too_large` naming it.",
  tags: ["reports"],
  middleware: [requireScope("reports:read")] as const,
  request: {
    params: IdParam,
    query: z.object({
      from: z.coerce.number().int().min(1),
      to: z.coerce.number().int().min(1),
      context: z.coerce.number().int().min(0).max(100).default(3).describe("Unchanged lines around each change, as `diff -U`."),
    }),
  },
  responses: { 200: rawContent("A unified diff; empty when the versions are equal", { "text/x-diff": "text" }), ...errorResponses(404, 422) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteReport",
  summary: "Delete a report, its versions and the stored bytes nothing else uses",
  tags: ["reports"],
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404) },
});

const cleanupRouteDef = createRoute({
  method: "post",
  path: "/{id}/cleanup",
  operationId: "cleanupReportVersions",
  summary: "Keep the newest N versions, delete the rest and the bytes nothing else uses",
  tags: ["reports"],
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam, query: z.object({ keep: z.coerce.number().int().min(1).max(100_000) }) },
  responses: {
    200: jsonContent(z.object({ deletedVersions: z.number().int(), deletedObjects: z.number().int() }), "What was deleted"),
    ...errorResponses(404),
  },
});

const exportRouteDef = createRoute({
  method: "get",
  path: "/{id}/export",
  operationId: "exportReport",
  summary: "Download a report as one self-contained archive (ZIP: manifest with checksums, every version's bytes)",
  description: "An archive holds at most 10,000 versions and 1 GiB of their bytes; a larger report is refused with 422 `archive_too_large`.",
  tags: ["reports"],
  middleware: [requireScope("reports:read")] as const,
  request: { params: IdParam },
  responses: {
    200: withHeaders(rawContent("The archive, streamed", { "application/zip": "binary" }), { "Content-Disposition": header("`attachment; filename=\"<name>.zip\"`") }),
    ...errorResponses(404, 422),
  },
});

const importRouteDef = createRoute({
  method: "post",
  path: "/import",
  operationId: "importReport",
  summary: "Restore a report from an archive as a new report (refused whole if corrupted or truncated)",
  description: "One manifest.json (at most 8 MiB), first; every entry named once and inflating to no more than the manifest says. A damaged archive is 422 `invalid_archive`, one over a bound 422 `archive_too_large`.",
  tags: ["reports"],
  middleware: [requireScope("reports:write")] as const,
  request: {
    query: z.object({ name: z.string().trim().min(1).max(200).optional().describe("Restore under this name instead of the archived one.") }),
    body: { required: true, content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } } },
  },
  responses: {
    201: withLocation(jsonContent(z.object({ report: ReportSchema, versions: z.array(ReportVersionSchema) }), "Restored")),
    ...errorResponses(409, 422),
  },
});

const isVersionCursor = cursorWith("v", "number");

function decodeContent(content: string, encoding: "utf8" | "base64"): Uint8Array {
  if (encoding === "utf8") return new TextEncoder().encode(content);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(content) || content.length % 4 !== 0) {
    throw new ApiError(422, "invalid_content", "content is not valid base64");
  }
  return Uint8Array.from(atob(content), (ch) => ch.charCodeAt(0));
}

async function requireReport(env: Env, tenant: string, id: string): Promise<ReportRow> {
  const report = await findReport(env, tenant, id);
  if (!report) throw notFound(`report ${id}`);
  return report;
}

async function requireVersion(env: Env, report: ReportRow, n: number): Promise<VersionRow> {
  const version = await findVersion(env, report.id, n);
  if (!version) throw notFound(`version ${n} of report ${report.id}`);
  return version;
}

async function textOf(env: Env, report: ReportRow, version: VersionRow): Promise<string> {
  const object = await env.BUCKET.get(blobKey(report.tenant, version.sha256));
  if (!object) throw new ApiError(404, "content_missing", `the content of version ${version.version} is missing from storage`);
  return object.text();
}

export const reportsApi = newRouter()
  .openapi(importRouteDef, async (c) => {
    const { name } = c.req.valid("query");
    const body = c.req.raw.body;
    if (!body) throw new ApiError(400, "empty_body", "send the archive as the request body");
    const restored = await importArchive(c.env, c.get("principal").tenant, body, name);
    c.header("Location", `/api/v1/reports/${restored.report.id}`);
    return c.json({ report: toReport(restored.report), versions: restored.versions.map(toVersion) }, 201);
  })
  .openapi(exportRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const report = await requireReport(c.env, c.get("principal").tenant, id);
    const filename = `${report.name.replace(/[^A-Za-z0-9._-]+/g, "_")}.zip`;
    return c.body(await exportArchive(c.env, report), 200, {
      "content-type": "application/zip",
      "content-disposition": `attachment; filename="${filename}"`,
    });
  })
  .openapi(storeRouteDef, async (c) => {
    const input = c.req.valid("json");
    const bytes = decodeContent(input.content, input.encoding);
    if (bytes.byteLength > MAX_DIRECT_CONTENT_BYTES) {
      throw new ApiError(413, "payload_too_large", `content is ${bytes.byteLength} bytes; at most ${MAX_DIRECT_CONTENT_BYTES}`);
    }
    const stored = await storeVersion(c.env, {
      tenant: c.get("principal").tenant,
      target: { name: input.name },
      format: input.format,
      bytes,
      templateId: input.templateId ?? null,
      onDuplicate: input.onDuplicate,
    });
    if (!stored) throw new ApiError(409, "conflict", "the report changed while storing; try again");
    const body = { report: toReport(stored.report), version: toVersion(stored.version), duplicate: stored.duplicate };
    if (stored.duplicate) return c.json(body, 200);
    c.header("Location", body.version.contentUrl);
    return c.json(body, 201);
  })
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const tenant = c.get("principal").tenant;
    const after = cursor ? decodeCursor(cursor, isIdCursor).id : null;
    const rows = await c
      .get("db")
      .select()
      .from(reports)
      .where(and(eq(reports.tenant, tenant), after === null ? undefined : lt(reports.id, after)))
      .orderBy(desc(reports.id))
      .limit(limit + 1);
    return c.json(pageOf(rows, limit, toReport, (r) => ({ id: r.id })), 200);
  })
  .openapi(getRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const report = await requireReport(c.env, c.get("principal").tenant, id);
    const latest = report.latestVersion > 0 ? await findVersion(c.env, report.id, report.latestVersion) : null;
    return c.json({ ...toReport(report), latest: latest ? toVersion(latest) : null }, 200);
  })
  .openapi(versionsRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const report = await requireReport(c.env, c.get("principal").tenant, id);
    const before = cursor ? decodeCursor(cursor, isVersionCursor).v : null;
    const rows = await c
      .get("db")
      .select()
      .from(reportVersions)
      .where(and(eq(reportVersions.reportId, report.id), before === null ? undefined : lt(reportVersions.version, before)))
      .orderBy(desc(reportVersions.version))
      .limit(limit + 1);
    return c.json(pageOf(rows, limit, toVersion, (v) => ({ v: v.version })), 200);
  })
  .openapi(contentRouteDef, async (c) => {
    const { id, n } = c.req.valid("param");
    const report = await requireReport(c.env, c.get("principal").tenant, id);
    const version = await requireVersion(c.env, report, n);
    const etag = `"${version.sha256}"`;
    const headers = { etag, "x-content-sha256": version.sha256, "cache-control": "private, max-age=31536000, immutable" };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    const object = await c.env.BUCKET.get(blobKey(report.tenant, version.sha256));
    if (!object) throw new ApiError(404, "content_missing", `the content of version ${n} is missing from storage`);
    return c.body(object.body, 200, { ...headers, "content-type": contentTypeOf(version.format), "content-length": String(object.size) });
  })
  .openapi(diffRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const { from, to, context } = c.req.valid("query");
    const report = await requireReport(c.env, c.get("principal").tenant, id);
    const [a, b] = await Promise.all([requireVersion(c.env, report, from), requireVersion(c.env, report, to)]);
    for (const v of [a, b]) assertDiffable(v);
    const side = async (v: VersionRow) => ({ name: `${report.name} v${v.version}`, version: v.version, text: await textOf(c.env, report, v) });
    const body = a.sha256 === b.sha256 ? "" : unifiedDiff(await side(a), await side(b), context);
    return c.body(body, 200, { "content-type": "text/x-diff; charset=utf-8" });
  })
  .openapi(deleteRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const report = await requireReport(c.env, c.get("principal").tenant, id);
    await deleteReport(c.env, report);
    return c.body(null, 204);
  })
  .openapi(cleanupRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const { keep } = c.req.valid("query");
    const report = await requireReport(c.env, c.get("principal").tenant, id);
    const deleted = await pruneVersions(c.env, report, keep);
    return c.json({ deletedVersions: deleted.versions, deletedObjects: deleted.objects }, 200);
  });
