import { z } from "@hono/zod-openapi";
import { InvalidInputError } from "../errors";
import { REPORT_FORMATS, type ReportFormat } from "./formats";
import { MAX_REPORT_BYTES } from "./render";

/**
 * A report archive is a ZIP file: `manifest.json` first (the report's name and every version's
 * metadata with its SHA-256), then `versions/<n>.<ext>` with each version's bytes. It carries no
 * ids and no export time, so exporting a restored report gives the same bytes again.
 */
export const MANIFEST = "manifest.json";
export const ARCHIVE_KIND = "edge-jobs.report-archive";

/**
 * An import runs in one request and holds its manifest in memory, so an archive is bounded: at
 * most 10,000 versions (a manifest of some 4 MB, written with indentation), 8 MiB of manifest,
 * and 1 GiB of version bytes in all. Export refuses what import would (`assertArchivable`).
 */
const MAX_ARCHIVE_VERSIONS = 10_000;
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
const MAX_ARCHIVE_CONTENT_BYTES = 1024 * 1024 * 1024;

const EXTENSIONS: Record<ReportFormat, string> = { markdown: "md", html: "html", json: "json", text: "txt", csv: "csv", pdf: "pdf", docx: "docx" };

export const ManifestSchema = z.object({
  kind: z.literal(ARCHIVE_KIND),
  formatVersion: z.literal(1),
  report: z.object({ name: z.string().min(1).max(200) }),
  versions: z
    .array(
      z.object({
        version: z.number().int().min(1),
        format: z.enum(REPORT_FORMATS),
        size: z.number().int().min(0).max(MAX_REPORT_BYTES),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        templateId: z.string().max(64).nullable(),
        contextHash: z.string().max(64).nullable(),
        createdAt: z.iso.datetime(),
        file: z.string().regex(/^versions\/\d+\.[a-z]+$/),
      }),
    )
    .max(MAX_ARCHIVE_VERSIONS),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestVersion = Manifest["versions"][number];

export const entryName = (v: { version: number; format: ReportFormat }) => `versions/${v.version}.${EXTENSIONS[v.format]}`;

export const corrupt = (message: string) => new InvalidInputError("invalid_archive", message);
export const tooLarge = (message: string) => new InvalidInputError("archive_too_large", message);

/** Refuses a report too large to fit an archive that import would take back. */
export function assertArchivable(versions: { size: number }[]): void {
  if (versions.length > MAX_ARCHIVE_VERSIONS) {
    throw tooLarge(`an archive holds at most ${MAX_ARCHIVE_VERSIONS} versions; this report has ${versions.length} (keep fewer with cleanup)`);
  }
  const total = versions.reduce((sum, v) => sum + v.size, 0);
  if (total > MAX_ARCHIVE_CONTENT_BYTES) {
    throw tooLarge(`an archive holds at most ${MAX_ARCHIVE_CONTENT_BYTES} bytes of versions; this one has ${total}`);
  }
}

/** The manifest of an archive, checked: its schema, one entry per version, each named for its version, and its bounds. */
export function readManifest(bytes: Uint8Array): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw corrupt(`${MANIFEST} is not JSON`);
  }
  const manifest = ManifestSchema.safeParse(parsed);
  if (!manifest.success) throw corrupt(`${MANIFEST} is not a report archive manifest`);
  const numbers = new Set(manifest.data.versions.map((v) => v.version));
  if (numbers.size !== manifest.data.versions.length) throw corrupt(`${MANIFEST} lists a version twice`);
  if (manifest.data.versions.some((v) => v.file !== entryName(v))) throw corrupt(`${MANIFEST} names a file that does not fit its version`);
  assertArchivable(manifest.data.versions);
  return manifest.data;
}
