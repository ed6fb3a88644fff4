import { type InferSelectModel, type Table, getTableColumns } from "drizzle-orm";
import { Unzip, type UnzipFile, UnzipInflate } from "fflate";
import { columnOf } from "../db/columns";
import { reportVersions, reports } from "../db/schema";
import { newId } from "../engine/ids";
import { concatenate } from "../bytes";
import { sha256Hex } from "../crypto";
import { ConflictError, type InvalidInputError } from "../errors";
import { MANIFEST, MAX_MANIFEST_BYTES, type Manifest, type ManifestVersion, corrupt, readManifest, tooLarge } from "./archive-manifest";
import { blobKey, deleteUnreferencedBlobs } from "./blobs";
import { contentTypeOf } from "./formats";
import { MAX_REPORT_BYTES } from "./render";
import type { ReportRow, VersionRow } from "./store";

/**
 * Deflate inflates at most ~1,032 bytes per byte, so feeding the reader 1 KiB at a time keeps
 * what one step inflates near 1 MiB: a bomb is refused at its entry's bound, not after it is
 * held whole.
 */
const INFLATE_STEP_BYTES = 1024;

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
  /** The manifest's versions by entry name, once it is read. */
  expected: Map<string, ManifestVersion>;
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
  const state: Received = { manifest: null, expected: new Map(), done: new Set(), failure: null };
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
    const chunk = value ?? new Uint8Array(0);
    for (let at = 0; at < chunk.length || (done && at === 0); at += INFLATE_STEP_BYTES) {
      const end = Math.min(chunk.length, at + INFLATE_STEP_BYTES);
      try {
        unzip.push(chunk.subarray(at, end), done && end === chunk.length);
      } catch (err) {
        throw corrupt(`the archive is damaged: ${(err as Error).message}`);
      }
      if (state.failure) throw state.failure;
    }
    if (value) tail = lastBytes(tail, value, TAIL_BYTES);
    for (const entry of pending.splice(0)) await acceptEntry(env, tenant, state, entry, created);
    if (done) return tail;
  }
}

/**
 * A ZIP reader that collects each complete entry into `pending`, or notes in `state` why the
 * archive is refused. Every name appears once: a second manifest would replace the checked one.
 */
function entryReader(state: Received, pending: Entry[]): Unzip {
  const seen = new Set<string>();
  const unzip = new Unzip((file) => {
    if (state.failure) return;
    if (seen.size === 0 && file.name !== MANIFEST) {
      state.failure = corrupt(`the archive must start with ${MANIFEST}`);
      return;
    }
    if (seen.has(file.name)) {
      state.failure = corrupt(`entry "${file.name}" appears twice`);
      return;
    }
    seen.add(file.name);
    collectEntry(file, state, pending);
  });
  unzip.register(UnzipInflate);
  return unzip;
}

/**
 * The most bytes an entry may inflate to: the manifest's own cap, or the size the manifest gives
 * the entry (null, with `state.failure` set, for an entry the manifest does not list).
 */
function entryLimit(file: UnzipFile, state: Received): { max: number; refuse: (message: string) => InvalidInputError } | null {
  if (file.name === MANIFEST) return { max: MAX_MANIFEST_BYTES, refuse: tooLarge };
  if (!state.manifest) return { max: MAX_REPORT_BYTES, refuse: tooLarge };
  const expected = state.expected.get(file.name);
  if (!expected) {
    state.failure = corrupt(`unexpected entry "${file.name}"`);
    return null;
  }
  return { max: expected.size, refuse: corrupt };
}

/**
 * Gathers an entry's bytes as they inflate, refusing one that declares or inflates to more than
 * it may (before holding more), is damaged or compressed unusually. The manifest is read as soon
 * as it is complete, so every later entry is held to its listed size.
 */
function collectEntry(file: UnzipFile, state: Received, pending: Entry[]) {
  const limit = entryLimit(file, state);
  if (!limit) return;
  const overLimit = (size: number) => limit.refuse(`entry "${file.name}" inflates to ${size} bytes or more; at most ${limit.max} bytes`);
  if (file.originalSize !== undefined && file.originalSize > limit.max) {
    state.failure = overLimit(file.originalSize);
    return;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  file.ondata = (err, chunk, final) => {
    if (state.failure) return;
    if (err) {
      state.failure = corrupt(`entry "${file.name}" is damaged: ${err.message}`);
      return;
    }
    size += chunk.byteLength;
    if (size > limit.max) {
      state.failure = overLimit(size);
      file.terminate();
      return;
    }
    chunks.push(chunk);
    if (!final) return;
    const bytes = concatenate(chunks, size);
    if (file.name !== MANIFEST) pending.push({ name: file.name, bytes });
    else {
      try {
        state.manifest = readManifest(bytes);
        state.expected = new Map(state.manifest.versions.map((v) => [v.file, v]));
      } catch (err) {
        state.failure = err as InvalidInputError;
      }
    }
  };
  try {
    file.start();
  } catch (err) {
    state.failure = corrupt(`entry "${file.name}" uses an unsupported compression: ${(err as Error).message}`);
  }
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

/** Stores a complete version entry once it matches what the manifest says of it. */
async function acceptEntry(env: Env, tenant: string, state: Received, entry: Entry, created: string[]) {
  const expected = state.expected.get(entry.name);
  if (!expected) throw corrupt(`unexpected entry "${entry.name}"`);
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
