import { z } from "@hono/zod-openapi";
import { REPORT_FORMATS, contentTypeOf, isBinaryFormat } from "../reports/formats";
import { IsoTimestamp, header, rawContent, withHeaders } from "./common";
import { ReportFormatSchema } from "./template";

export const ReportSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    latestVersion: z.number().int(),
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
  })
  .openapi("Report");

export const ReportVersionSchema = z
  .object({
    version: z.number().int(),
    format: ReportFormatSchema,
    contentType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    templateId: z.string().nullable(),
    contextHash: z.string().nullable(),
    jobId: z.string().nullable(),
    createdAt: IsoTimestamp,
    contentUrl: z.string(),
  })
  .openapi("ReportVersion");

export const StoredVersionSchema = z
  .object({ report: ReportSchema, version: ReportVersionSchema, duplicate: z.boolean() })
  .openapi("StoredReportVersion");

export const OnDuplicateSchema = z
  .enum(["skip", "store"])
  .default("skip")
  .describe("skip: content equal to the latest version is reported as a duplicate and not stored again");

export const StoreReportSchema = z
  .object({
    name: z.string().trim().min(1).max(200).describe("The report to add a version to; created if the tenant has none of this name."),
    format: ReportFormatSchema,
    content: z.string().describe("The version's content: text, or base64 when `encoding` is base64 (e.g. a PDF)."),
    encoding: z.enum(["utf8", "base64"]).default("utf8"),
    templateId: z.string().max(64).nullish(),
    onDuplicate: OnDuplicateSchema,
  })
  .openapi("StoreReport");

export const VersionParams = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
  n: z.coerce.number().int().min(1).openapi({ param: { name: "n", in: "path" } }),
});

/** A rendered report or a stored version's bytes: the media type of one of the report formats. */
export function reportContent(description: string) {
  const kinds = REPORT_FORMATS.map((format) => {
    const kind = isBinaryFormat(format) ? "binary" : format === "json" ? "json" : "text";
    return [contentTypeOf(format).split(";")[0]!, kind] as const;
  });
  return rawContent(description, Object.fromEntries(kinds));
}

/** A version's bytes never change: its hash names them, and caches may keep them. */
const VERSION_HEADERS = {
  ETag: header("The content's SHA-256, quoted: send it back as If-None-Match"),
  "X-Content-SHA256": header("The content's SHA-256, in hex"),
  "Cache-Control": header("`private, max-age=31536000, immutable`"),
};

/** GET /reports/{id}/versions/{n}: the content, or (If-None-Match) that the client's copy is it. */
export const versionContentResponses = {
  200: withHeaders(reportContent("The content, in the version's format"), VERSION_HEADERS),
  304: withHeaders({ description: "Unchanged (If-None-Match)" }, VERSION_HEADERS),
};
