import { z } from "@hono/zod-openapi";
import { NonRetryableError } from "../engine/errors";
import { type UploadRow, findUpload } from "../uploads/store";

export const FILE_FORMATS = ["csv", "ndjson", "json"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const FileFormatSchema = z.enum(FILE_FORMATS);

export const CONTENT_TYPES: Record<FileFormat, string> = { csv: "text/csv", ndjson: "application/x-ndjson", json: "application/json" };

/** The format of an upload by its content type, then its name's extension; null when neither tells. */
export function formatOf(contentType: string, name: string): FileFormat | null {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "text/csv" || name.endsWith(".csv")) return "csv";
  if (type === "application/x-ndjson" || type === "application/jsonl" || /\.(ndjson|jsonl)$/.test(name)) return "ndjson";
  if (type === "application/json" || name.endsWith(".json")) return "json";
  return null;
}

/** A stored upload that a file job reads, and how. */
export interface FileSource {
  uploadId: string;
  name: string;
  format: FileFormat;
  size: number;
}

/** Why the upload cannot be read as a file of records, or the file: the same rules at submit and at run. */
export function sourceOf(upload: UploadRow | null, uploadId: string, format: FileFormat | undefined): FileSource | string {
  if (!upload) return `upload ${uploadId} not found`;
  if (upload.status !== "stored" || upload.size === null) return `upload ${uploadId} is not complete`;
  const known = format ?? formatOf(upload.contentType, upload.name);
  if (!known) return `cannot tell the format of ${upload.name} (${upload.contentType}): give "format" (csv, ndjson or json)`;
  return { uploadId: upload.id, name: upload.name, format: known, size: upload.size };
}

/** The problem with the upload a submission names, for a 422 at submit (`path` under `input`). */
export async function uploadIssues(env: Env, tenant: string, input: { uploadId: string; format?: FileFormat | undefined }) {
  // A secret reference stands where the id would (it is not revealed at submit): the run checks it.
  if (typeof input.uploadId !== "string") return [];
  const source = sourceOf(await findUpload(env, tenant, input.uploadId), input.uploadId, input.format);
  return typeof source === "string" ? [{ path: "uploadId", message: source }] : [];
}

/** The upload a running job reads; one that went away since the submission fails the job for good. */
export async function requireSource(env: Env, tenant: string, uploadId: string, format: FileFormat | undefined): Promise<FileSource> {
  const source = sourceOf(await findUpload(env, tenant, uploadId), uploadId, format);
  if (typeof source === "string") throw new NonRetryableError(source);
  return source;
}
