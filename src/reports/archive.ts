import { z } from "@hono/zod-openapi";
import { type InferSelectModel, type Table, getTableColumns } from "drizzle-orm";
import { Unzip, type UnzipFile, UnzipInflate } from "fflate";
import { columnOf } from "../db/columns";
import { reportVersions, reports } from "../db/schema";
import { newId } from "../engine/ids";
import { sha256Hex } from "../crypto";
import { ConflictError, InvalidInputError } from "../errors";
import { blobKey, deleteUnreferencedBlobs } from "./blobs";
import { REPORT_FORMATS, type ReportFormat, contentTypeOf } from "./formats";
import { MAX_REPORT_BYTES } from "./render";
import type { ReportRow, VersionRow } from "./store";

/**
 * A report archive is a ZIP file: `manifest.json` first (the report's name and every version's
 * metadata with its SHA-256), then `versions/<n>.<ext>` with each version's bytes. It carries no
 * ids and no export time, so exporting a restored report gives the same bytes again.
 */
export const MANIFEST = "manifest.json";
export const ARCHIVE_KIND = "edge-jobs.report-archive";

const EXTENSIONS: Record<ReportFormat, string> = { markdown: "md", html: "html", json: "json", text: "txt", csv: "csv", pdf: "pdf" };

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
    .max(100_000),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const entryName = (v: { version: number; format: ReportFormat }) => `versions/${v.version}.${EXTENSIONS[v.format]}`;

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

const corrupt = (message: string) => new InvalidInputError("invalid_archive", message);

/** The end-of-central-directory record closes every complete ZIP file. */
function hasEndOfCentralDirectory(tail: Uint8Array): boolean {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) return true;
  }
  return false;
}
const TAIL_BYTES = 22 + 0xffff;

/** The last `max` bytes of `a` followed by `b`. */
function lastBytes(a: Uint8Array, b: Uint8Array, max: number): Uint8Array {
  if (b.length >= max) return b.slice(b.length - max);
  const keep = Math.min(a.length, max - b.length);
  const out = new Uint8Array(keep + b.length);
  out.set(a.subarray(a.length - keep), 0);
  out.set(b, keep);
  return out;
}

interface Received {
  manifest: Manifest | null;
  done: Set<string>;
  failure: InvalidInputError | null;
}

/**
 * Restores a report from an archive as a new report of the tenant (new ids, same versions, bytes
 * and hashes). Every entry is checked against the manifest (size and SHA-256) as it streams in; a
 * corrupted, truncated or inconsistent archive is refused with an `InvalidInputError` and leaves
 * nothing behind: the D1 rows are written in one batch at the end, and objects put before a
 * failure are removed.
 */
export async function importArchive(env: Env, tenant: string, body: ReadableStream<Uint8Array>, rename?: string): Promise<{ report: ReportRow; versions: VersionRow[] }> {
  const state: Received = { manifest: null, done: new Set(), failure: null };
  const created: string[] = [];
  try {
    const tail = await receiveEntries(env, tenant, body, state, created);
    return await writeRestored(env, tenant, completeManifest(state, tail), rename);
  } catch (err) {
    await deleteUnreferencedBlobs(env, tenant, created);
    throw err;
  }
}

interface Entry {
  name: string;
  bytes: Uint8Array;
}

/**
 * Feeds the body to a ZIP reader and accepts each entry as it completes (putting its bytes in R2,
 * noted in `created`). Returns the body's last bytes, where the central directory must be.
 */
async function receiveEntries(env: Env, tenant: string, body: ReadableStream<Uint8Array>, state: Received, created: string[]): Promise<Uint8Array> {
  const pending: Entry[] = [];
  const unzip = entryReader(state, pending);
  let tail: Uint8Array = new Uint8Array(0);
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    try {
      unzip.push(value ?? new Uint8Array(0), done);
    } catch (err) {
      throw corrupt(`the archive is damaged: ${(err as Error).message}`);
    }
    if (value) tail = lastBytes(tail, value, TAIL_BYTES);
    if (state.failure) throw state.failure;
    for (const entry of pending.splice(0)) await acceptEntry(env, tenant, state, entry, created);
    if (done) return tail;
  }
}

/** A ZIP reader that collects each complete entry into `pending`, or notes in `state` why the archive is refused. */
function entryReader(state: Received, pending: Entry[]): Unzip {
  let entries = 0;
  const unzip = new Unzip((file) => {
    if (state.failure) return;
    if (entries++ === 0 && file.name !== MANIFEST) {
      state.failure = corrupt(`the archive must start with ${MANIFEST}`);
      return;
    }
    collectEntry(file, state, pending);
  });
  unzip.register(UnzipInflate);
  return unzip;
}

/** Gathers an entry's bytes as they inflate, refusing one that is damaged, too large or compressed unusually. */
function collectEntry(file: UnzipFile, state: Received, pending: Entry[]) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Checked against the manifest once complete (entries are accepted in order, manifest first).
  const limit = file.name === MANIFEST ? MAX_MANIFEST_BYTES : MAX_REPORT_BYTES;
  file.ondata = (err, chunk, final) => {
    if (state.failure) return;
    if (err) {
      state.failure = corrupt(`entry "${file.name}" is damaged: ${err.message}`);
      return;
    }
    size += chunk.byteLength;
    if (size > limit) {
      state.failure = corrupt(`entry "${file.name}" is larger than any report version can be`);
      return;
    }
    chunks.push(chunk);
    if (final) pending.push({ name: file.name, bytes: concatenate(chunks, size) });
  };
  try {
    file.start();
  } catch (err) {
    state.failure = corrupt(`entry "${file.name}" uses an unsupported compression: ${(err as Error).message}`);
  }
}

function concatenate(chunks: Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

/** The manifest of an archive read to its end, once it is sure that no entry it lists is missing. */
function completeManifest(state: Received, tail: Uint8Array): Manifest {
  if (!hasEndOfCentralDirectory(tail)) throw corrupt("the archive is truncated: its central directory is missing");
  const manifest = state.manifest;
  if (!manifest) throw corrupt(`the archive has no ${MANIFEST}`);
  const missing = manifest.versions.filter((v) => !state.done.has(v.file));
  if (missing.length > 0) throw corrupt(`the archive is truncated: ${missing.length} version(s) missing, the first ${missing[0]!.file}`);
  return manifest;
}

async function acceptEntry(env: Env, tenant: string, state: Received, entry: Entry, created: string[]) {
  if (entry.name === MANIFEST) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(entry.bytes));
    } catch {
      throw corrupt(`${MANIFEST} is not JSON`);
    }
    const manifest = ManifestSchema.safeParse(parsed);
    if (!manifest.success) throw corrupt(`${MANIFEST} is not a report archive manifest`);
    const numbers = new Set(manifest.data.versions.map((v) => v.version));
    if (numbers.size !== manifest.data.versions.length) throw corrupt(`${MANIFEST} lists a version twice`);
    if (manifest.data.versions.some((v) => v.file !== entryName(v))) throw corrupt(`${MANIFEST} names a file that does not fit its version`);
    state.manifest = manifest.data;
    return;
  }
  const expected = state.manifest?.versions.find((v) => v.file === entry.name);
  if (!expected) throw corrupt(`unexpected entry "${entry.name}"`);
  if (state.done.has(entry.name)) throw corrupt(`entry "${entry.name}" appears twice`);
  if (entry.bytes.byteLength !== expected.size) throw corrupt(`entry "${entry.name}" has ${entry.bytes.byteLength} bytes; the manifest says ${expected.size}`);
  if ((await sha256Hex(entry.bytes)) !== expected.sha256) throw corrupt(`entry "${entry.name}" does not match its SHA-256`);
  const key = blobKey(tenant, expected.sha256);
  if (!(await env.BUCKET.head(key))) {
    await env.BUCKET.put(key, entry.bytes, {
      httpMetadata: { contentType: contentTypeOf(expected.format) },
      customMetadata: { tenant, sha256: expected.sha256 },
      sha256: expected.sha256,
    });
    created.push(expected.sha256);
  }
  state.done.add(entry.name);
}

/** An INSERT's column list for every field of `table`, and the same fields read from a `json_each` row `v`. */
function insertOf<T extends Table>(table: T) {
  const fields = Object.keys(getTableColumns(table)) as (keyof InferSelectModel<T> & string)[];
  return {
    fields,
    columns: fields.map((f) => columnOf(table, f)).join(", "),
    fromJson: fields.map((f) => `v.value->>'${f}'`).join(", "),
  };
}
const REPORT_INSERT = insertOf(reports);
const VERSION_INSERT = insertOf(reportVersions);

async function writeRestored(env: Env, tenant: string, manifest: Manifest, rename?: string) {
  const now = Date.now();
  const name = rename ?? manifest.report.name;
  const reportId = newId("rpt", now);
  const latest = Math.max(0, ...manifest.versions.map((v) => v.version));
  const report: ReportRow = { id: reportId, tenant, name, latestVersion: latest, createdAt: now, updatedAt: now };
  const rows: VersionRow[] = manifest.versions.map((v) => ({
    reportId,
    version: v.version,
    tenant,
    format: v.format,
    size: v.size,
    sha256: v.sha256,
    templateId: v.templateId,
    contextHash: v.contextHash,
    jobId: null,
    createdAt: Date.parse(v.createdAt),
  }));
  try {
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO reports (${REPORT_INSERT.columns}) VALUES (${REPORT_INSERT.fields.map(() => "?").join(", ")})`)
        .bind(...REPORT_INSERT.fields.map((f) => report[f])),
      env.DB.prepare(`INSERT INTO report_versions (${VERSION_INSERT.columns}) SELECT ${VERSION_INSERT.fromJson} FROM json_each(?) AS v`)
        .bind(JSON.stringify(rows)),
    ]);
  } catch (err) {
    if (/UNIQUE constraint failed: reports\.tenant, reports\.name/.test(`${(err as Error).message} ${String((err as Error).cause ?? "")}`)) {
      throw new ConflictError("name_taken", `a report named "${name}" already exists; import it under another name with ?name=`);
    }
    throw err;
  }
  return { report, versions: rows };
}
