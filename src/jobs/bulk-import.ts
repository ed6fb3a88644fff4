import { z } from "@hono/zod-openapi";
import { NonRetryableError } from "../engine/errors";
import { DatasetSchemaSchema } from "../datasets/fields";
import { RowEncoder } from "../datasets/encode";
import { MalformedFileError, readChunkText, type SourceFormat } from "../datasets/records";
import { defineDataset, UpsertRows, upsertRows } from "../datasets/rows";
import { type RowError, sortChunk } from "../datasets/sort-chunk";
import { findUpload, storeBytes, uploadKey } from "../uploads/store";
import { csvCell } from "../exports/csv";
import { type JobContext, defineJob } from "./define";

export const DATASET_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const MIB = 1024 * 1024;
/** Bad rows kept for the error report; beyond this they are only counted. */
const MAX_REPORTED_ERRORS = 100_000;

const BulkImportInput = z.object({
  uploadId: z.string().min(1).max(64).describe("A stored CSV (with a header row) or NDJSON upload."),
  dataset: z.string().regex(DATASET_NAME, "lowercase letters, digits, _ and -, starting with a letter"),
  schema: DatasetSchemaSchema,
  format: z.enum(["csv", "ndjson"]).optional().describe("Default: from the upload's content type or name."),
  onError: z.enum(["skip", "abort"]).default("skip").describe("skip: bad rows go to the error report; abort: stop at the first."),
  chunkBytes: z.number().int().min(64 * 1024).max(32 * MIB).default(8 * MIB).describe("Bytes read per checkpointed step."),
});

const BulkImportResult = z.object({
  dataset: z.string(),
  rows: z.number().int().describe("Records read from the file."),
  imported: z.number().int(),
  rejected: z.number().int(),
  bytes: z.number().int(),
  errorReport: z
    .object({ uploadId: z.string(), url: z.string(), errors: z.number().int() })
    .nullable()
    .describe("A CSV upload of the rejected rows (row, field, message); null when none was."),
});

interface ChunkOutcome {
  nextOffset: number;
  header?: string[];
  imported: number;
  rejected: number;
  records: number;
  errors: RowError[];
  abortedAt?: RowError;
}

function formatOf(contentType: string, name: string): SourceFormat | null {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "text/csv" || name.endsWith(".csv")) return "csv";
  if (type === "application/x-ndjson" || type === "application/jsonl" || /\.(ndjson|jsonl)$/.test(name)) return "ndjson";
  return null;
}

type ImportInput = z.output<typeof BulkImportInput>;

/** What every chunk of one import reads with. */
interface ImportSource {
  uploadId: string;
  format: SourceFormat;
  size: number;
}

/** The upload to import: it must be complete and of a format we can tell. */
async function importSource(ctx: JobContext, input: ImportInput): Promise<ImportSource> {
  const upload = await findUpload(ctx.env, ctx.tenant, input.uploadId);
  if (!upload) throw new NonRetryableError(`upload ${input.uploadId} not found`);
  if (upload.status !== "stored" || upload.size === null) throw new NonRetryableError(`upload ${input.uploadId} is not complete`);
  const format = input.format ?? formatOf(upload.contentType, upload.name);
  if (!format) throw new NonRetryableError(`cannot tell the format of ${upload.name} (${upload.contentType}): give "format"`);
  return { uploadId: upload.id, format, size: upload.size };
}

/** The whole records of the chunk at `offset`; a file that cannot be read fails the job for good. */
async function readText(ctx: JobContext, input: ImportInput, source: ImportSource, offset: number) {
  try {
    return await readChunkText(ctx.env.BUCKET, uploadKey(ctx.tenant, source.uploadId), source.format, source.size, offset, input.chunkBytes);
  } catch (err) {
    if (err instanceof MalformedFileError) throw new NonRetryableError(err.message);
    throw err;
  }
}

/** One durable step's work: reads the chunk at `start`, upserts its good rows and returns its bad ones. */
async function importChunk(
  ctx: JobContext,
  input: ImportInput,
  source: ImportSource,
  start: { offset: number; row: number },
  header: string[] | undefined,
): Promise<ChunkOutcome> {
  const chunk = await readText(ctx, input, source, start.offset);
  const encoder = new RowEncoder(input.schema, source.uploadId);
  const rows = new UpsertRows(encoder.keySource);
  const sorted = sortChunk(chunk.text, source.format, header, encoder, start.row, rows, input.onError === "abort");
  await upsertRows(ctx.env, ctx.tenant, input.dataset, ctx.jobId, rows);
  const lastRow = start.row + sorted.records;
  ctx.log(`rows ${start.row + 1}-${lastRow} from bytes ${start.offset}-${chunk.nextOffset}: ${sorted.imported} imported, ${sorted.problems} problems`);
  return {
    nextOffset: chunk.nextOffset,
    ...(sorted.header ? { header: sorted.header } : {}),
    imported: sorted.imported,
    rejected: sorted.rejected,
    records: sorted.records,
    errors: sorted.errors,
    ...(sorted.abortedAt ? { abortedAt: sorted.abortedAt } : {}),
  };
}

/** Imports the file chunk by chunk, one durable step each, reporting progress after each. */
async function importChunks(ctx: JobContext, input: ImportInput, source: ImportSource) {
  const { size } = source;
  let offset = 0;
  let header: string[] | undefined;
  let row = 0;
  let imported = 0;
  let rejected = 0;
  const errors: RowError[] = [];
  while (offset < size) {
    const start = { offset, row };
    const outcome: ChunkOutcome = await ctx.step(`rows from byte ${offset}`, async () => importChunk(ctx, input, source, start, header));
    header = outcome.header ?? header;
    row += outcome.records;
    imported += outcome.imported;
    rejected += outcome.rejected;
    errors.push(...outcome.errors.slice(0, Math.max(0, MAX_REPORTED_ERRORS - errors.length)));
    if (outcome.abortedAt) {
      const { row: at, field, message } = outcome.abortedAt;
      throw new NonRetryableError(`row ${at}${field ? `, ${field}` : ""}: ${message} (onError is abort; ${imported} rows before it were imported)`);
    }
    offset = outcome.nextOffset;
    await ctx.progress((offset / size) * 100, {
      stage: "import",
      message: `${imported} rows imported, ${rejected} rejected; ${offset} of ${size} bytes`,
    });
  }
  return { rows: row, imported, rejected, errors };
}

/** Stores the bad rows as a CSV upload. */
async function writeErrorReport(ctx: JobContext, dataset: string, errors: RowError[]) {
  const csv = ["row,field,message", ...errors.map((e) => [e.row, e.field, e.message].map(csvCell).join(","))].join("\n") + "\n";
  const stored = await storeBytes(
    ctx.env,
    ctx.tenant,
    { name: `${dataset}-import-errors-${ctx.jobId}.csv`, contentType: "text/csv" },
    new TextEncoder().encode(csv),
  );
  return { uploadId: stored.id, url: `/api/v1/uploads/${stored.id}/content`, errors: errors.length };
}

/**
 * Imports an uploaded CSV or NDJSON file into a dataset, a chunk of the file per durable step: each
 * step reads its byte range from R2, validates the rows against the declared schema and upserts
 * the good ones in one D1 batch. A crash or retry resumes at the first unfinished chunk, and rows
 * are keyed (by the key field, or their place in the file), so a chunk done twice adds nothing.
 */
export const bulkImport = defineJob({
  type: "bulk.import",
  description: "Imports an uploaded CSV or NDJSON file into a dataset, validating every row; resumable.",
  input: BulkImportInput,
  result: BulkImportResult,
  durable: true,
  retry: { maxAttempts: 5 },
  timeoutMs: 6 * 3_600_000,
  async run(input, ctx) {
    const source = await importSource(ctx, input);
    await ctx.step("define dataset", async () => defineDataset(ctx.env, ctx.tenant, input.dataset, input.schema));
    const { rows, imported, rejected, errors } = await importChunks(ctx, input, source);
    const report = errors.length === 0 ? null : await ctx.step("write the error report", async () => writeErrorReport(ctx, input.dataset, errors));
    ctx.log(`imported ${imported} rows into ${input.dataset}; rejected ${rejected}`);
    return { dataset: input.dataset, rows, imported, rejected, bytes: source.size, errorReport: report };
  },
});
