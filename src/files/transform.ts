import { NonRetryableError } from "../engine/errors";
import type { RowError } from "../datasets/sort-chunk";
import { csvCell } from "../exports/csv";
import { MIN_PART_BYTES, completeMultipart, findUpload, storeConcatenation, uploadPart } from "../uploads/store";
import type { Mapper } from "./mapping";
import { fileEnd, fileRecord, fileStart } from "./output";
import { readFileChunk } from "./records";
import { scratchKey } from "./scratch";
import type { FileFormat, FileSource } from "./source";

/** R2 wants every part but the last of one size: the output is cut into parts of exactly this many bytes. */
export const PART_BYTES = MIN_PART_BYTES;
/** The output one step may make of its chunk: computed fields can make much more text than they read. */
export const MAX_STEP_OUTPUT = 64 * 1024 * 1024;

/** Who is transforming what into what. */
export interface TransformScope {
  env: Env;
  tenant: string;
  jobId: string;
  source: FileSource;
  mapper: Mapper;
  format: FileFormat;
  outputId: string;
  chunkBytes: number;
  abort: boolean;
  log(message: string): void;
}

/** Where a step starts: the file's byte and row, what has been written, and the output's bytes not yet in a part. */
export interface Cursor {
  offset: number;
  row: number;
  written: number;
  /** The number the next part gets. */
  part: number;
  /** The scratch object holding the output's bytes after its last part (fewer than PART_BYTES), if any. */
  carry: string | null;
  header?: string[];
}

export interface ChunkOutcome {
  nextOffset: number;
  header?: string[];
  records: number;
  written: number;
  rejected: number;
  /** The first bad rows' problems, as many as the room the step was given. */
  errors: RowError[];
  abortedAt?: RowError;
  parts: R2UploadedPart[];
  carry: string | null;
}

async function scratchBytes(env: Env, key: string | null): Promise<Uint8Array> {
  if (key === null) return new Uint8Array();
  const object = await env.BUCKET.get(key);
  if (!object) throw new Error(`the transform's scratch object ${key} is missing`);
  return new Uint8Array(await object.arrayBuffer());
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(a.byteLength + b.byteLength);
  bytes.set(a);
  bytes.set(b, a.byteLength);
  return bytes;
}

/** The mapped records of one chunk as the output's text, with the problems of the bad ones. */
async function mapChunk(scope: TransformScope, at: Cursor, room: number) {
  const { source, mapper, format } = scope;
  const chunk = await readFileChunk(scope.env, scope.tenant, source, at.offset, scope.chunkBytes, at.header);
  const missing = chunk.header ? mapper.missingColumns(chunk.header) : [];
  if (missing.length > 0) throw new NonRetryableError(`the mapping reads columns that ${source.name} does not have: ${missing.join(", ")} (its header: ${chunk.header!.join(", ")})`);
  const outcome = { records: 0, written: 0, rejected: 0, errors: [] as RowError[], abortedAt: undefined as RowError | undefined };
  let text = at.offset === 0 ? fileStart(format, mapper.names) : "";
  for (const record of chunk.records) {
    const row = at.row + ++outcome.records;
    const mapped = "values" in record ? mapper.apply(record.values, row) : { problems: [{ field: "", message: record.error }] };
    if ("problems" in mapped) {
      outcome.rejected += 1;
      for (const p of mapped.problems) if (outcome.errors.length < room) outcome.errors.push({ row, ...p });
      if (scope.abort) {
        outcome.abortedAt = { row, ...mapped.problems[0]! };
        break;
      }
      continue;
    }
    text += fileRecord(format, mapper.names, mapped.values, at.written + outcome.written === 0);
    outcome.written += 1;
    if (text.length > MAX_STEP_OUTPUT) throw new NonRetryableError(`rows ${at.row + 1}-${row} make more than ${MAX_STEP_OUTPUT} characters of output: give a smaller chunkBytes`);
  }
  return { chunk, text, ...outcome };
}

/**
 * Uploads the whole parts at the start of `bytes` as the output's parts `first`, `first + 1`…, and
 * with `last` what is left as the last part (an empty one if the output has no other); returns the
 * parts and the bytes left.
 */
async function uploadParts(scope: TransformScope, bytes: Uint8Array, first: number, last: boolean) {
  const cuts: [number, number][] = [];
  for (let from = 0; from + PART_BYTES <= bytes.byteLength; from += PART_BYTES) cuts.push([from, from + PART_BYTES]);
  const restFrom = cuts.length * PART_BYTES;
  if (last && (restFrom < bytes.byteLength || first + cuts.length === 1)) cuts.push([restFrom, bytes.byteLength]);
  const parts: R2UploadedPart[] = [];
  if (cuts.length === 0) return { parts, rest: bytes };
  const row = await findUpload(scope.env, scope.tenant, scope.outputId);
  if (!row) throw new Error(`the output upload ${scope.outputId} is missing`);
  for (const [from, to] of cuts) {
    const part = bytes.subarray(from, to);
    parts.push(await uploadPart(scope.env, row, first + parts.length, new Blob([part]).stream(), part.byteLength));
  }
  return { parts, rest: bytes.subarray(last ? bytes.byteLength : restFrom) };
}

/**
 * One durable step: maps a chunk of the file, adds its text to the bytes the last step left over,
 * uploads every whole part of them and leaves the rest in a scratch object for the next step. A
 * step run again uploads the same parts again (R2 keeps the last upload of a part number).
 */
export async function transformChunk(scope: TransformScope, at: Cursor, step: number, room: number): Promise<ChunkOutcome> {
  const mapped = await mapChunk(scope, at, room);
  const pending = joined(await scratchBytes(scope.env, at.carry), new TextEncoder().encode(mapped.text));
  const { parts, rest } = await uploadParts(scope, pending, at.part, false);
  scope.log(`rows ${at.row + 1}-${at.row + mapped.records} from bytes ${at.offset}-${mapped.chunk.nextOffset}: ${mapped.written} written, ${mapped.rejected} rejected`);
  let carry: string | null = null;
  if (rest.byteLength > 0) {
    carry = scratchKey(scope.tenant, scope.jobId, `carry-${step}`);
    await scope.env.BUCKET.put(carry, rest);
  }
  // The step before this one has finished, so no step reads what the one before it left again.
  if (step >= 2) await scope.env.BUCKET.delete(scratchKey(scope.tenant, scope.jobId, `carry-${step - 2}`));
  return {
    nextOffset: mapped.chunk.nextOffset,
    ...(mapped.chunk.header ? { header: mapped.chunk.header } : {}),
    records: mapped.records,
    written: mapped.written,
    rejected: mapped.rejected,
    errors: mapped.errors,
    ...(mapped.abortedAt ? { abortedAt: mapped.abortedAt } : {}),
    parts,
    carry,
  };
}

/** Uploads the last part (what was left over, and the file's end) and completes the output upload. */
export async function completeOutput(scope: TransformScope, at: Cursor, parts: R2UploadedPart[]) {
  const done = await findUpload(scope.env, scope.tenant, scope.outputId);
  // Completed by an earlier run of this step that stopped before it was recorded.
  if (done?.status === "stored") return { uploadId: done.id, size: done.size!, sha256: done.sha256! };
  const tail = new TextEncoder().encode(`${at.offset === 0 ? fileStart(scope.format, scope.mapper.names) : ""}${fileEnd(scope.format, at.written)}`);
  const last = await uploadParts(scope, joined(await scratchBytes(scope.env, at.carry), tail), at.part, true);
  if (!done) throw new Error(`the output upload ${scope.outputId} is missing`);
  const row = await completeMultipart(scope.env, done, [...parts, ...last.parts]);
  return { uploadId: row.id, size: row.size!, sha256: row.sha256! };
}

/** Stores the bad rows (row, field, message) as a CSV upload named after the job's output. */
export async function writeErrorReport(scope: TransformScope, name: string, errors: RowError[]) {
  const csv = ["row,field,message", ...errors.map((e) => [e.row, e.field, e.message].map(csvCell).join(","))].join("\n") + "\n";
  const bytes = new TextEncoder().encode(csv);
  const key = scratchKey(scope.tenant, scope.jobId, "errors.csv");
  await scope.env.BUCKET.put(key, bytes);
  const id = `${scope.outputId}-errors`;
  await storeConcatenation(scope.env, scope.tenant, id, { name, contentType: "text/csv" }, [key], bytes.byteLength);
  return { uploadId: id, url: `/api/v1/uploads/${id}/content`, errors: errors.length };
}
