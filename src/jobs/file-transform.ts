import { z } from "@hono/zod-openapi";
import { NonRetryableError } from "../engine/errors";
import type { RowError } from "../datasets/sort-chunk";
import { Mapper, MappingSchema } from "../files/mapping";
import { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES } from "../files/records";
import { deleteScratch } from "../files/scratch";
import { CONTENT_TYPES, FileFormatSchema, requireSource, uploadIssues } from "../files/source";
import { type ChunkOutcome, type Cursor, type TransformScope, completeOutput, transformChunk, writeErrorReport } from "../files/transform";
import { deleteUpload, findUpload, startMultipart } from "../uploads/store";
import { type JobContext, defineJob } from "./define";

/** Bad rows listed in the error report; beyond this they are only counted. */
export const MAX_REPORTED_ERRORS = 1_000;

const FileTransformInput = z.object({
  uploadId: z.string().min(1).max(64).describe("A stored CSV (with a header row), NDJSON or JSON (an array of objects) upload."),
  format: FileFormatSchema.optional().describe("The upload's format; default: from its content type or name."),
  mapping: MappingSchema,
  output: z
    .object({
      format: FileFormatSchema.optional().describe("Default: the upload's format."),
      name: z.string().trim().min(1).max(200).optional().describe('Default: "<upload name>-transformed.<format>".'),
    })
    .default({}),
  onError: z.enum(["skip", "abort"]).default("skip").describe("skip: bad rows go to the error report; abort: stop at the first."),
  chunkBytes: z.number().int().min(MIN_CHUNK_BYTES).max(MAX_CHUNK_BYTES).default(DEFAULT_CHUNK_BYTES).describe("Bytes read per checkpointed step."),
});
type TransformInput = z.output<typeof FileTransformInput>;

const FileTransformResult = z.object({
  uploadId: z.string().describe("The new upload holding the output."),
  name: z.string(),
  format: FileFormatSchema,
  size: z.number().int(),
  sha256: z.string(),
  url: z.string().describe("Where the output is downloaded."),
  rows: z.number().int().describe("Records read from the file."),
  written: z.number().int(),
  rejected: z.number().int(),
  errorReport: z
    .object({ uploadId: z.string(), url: z.string(), errors: z.number().int() })
    .nullable()
    .describe(`A CSV upload of the bad rows (row, field, message), the first ${MAX_REPORTED_ERRORS} problems; null when there was none.`),
});

const stem = (name: string) => name.replace(/\.[^.]*$/, "");

/** Maps the file a chunk per durable step, each uploading the output's whole parts; the totals and the cursor after the last. */
async function transformChunks(ctx: JobContext, scope: TransformScope) {
  let at: Cursor = { offset: 0, row: 0, written: 0, part: 1, carry: null };
  const parts: R2UploadedPart[] = [];
  const errors: RowError[] = [];
  let rejected = 0;
  for (let step = 0; at.offset < scope.source.size; step++) {
    const from = at;
    const room = MAX_REPORTED_ERRORS - errors.length;
    const outcome: ChunkOutcome = await ctx.step(`rows from byte ${from.offset}`, async () => transformChunk(scope, from, step, room));
    parts.push(...outcome.parts);
    errors.push(...outcome.errors);
    rejected += outcome.rejected;
    at = { offset: outcome.nextOffset, row: from.row + outcome.records, written: from.written + outcome.written, part: from.part + outcome.parts.length, carry: outcome.carry, header: outcome.header ?? from.header };
    if (outcome.abortedAt) return { at, parts, errors, rejected, abortedAt: outcome.abortedAt };
    const message = `${at.written} rows written, ${rejected} rejected; ${at.offset} of ${scope.source.size} bytes`;
    await ctx.progress((at.offset / scope.source.size) * 100, { stage: "transform", message });
  }
  return { at, parts, errors, rejected };
}

/**
 * Applies a declared mapping to an uploaded CSV, NDJSON or JSON file and writes the result as a new
 * upload (an R2 multipart upload, a part per 5 MiB), a chunk of the file per durable step as
 * bulk.import reads it: a retry resumes at the first unfinished chunk. Bad rows go to an error report.
 */
export const fileTransform = defineJob({
  type: "file.transform",
  description: "Maps an uploaded CSV, NDJSON or JSON file (select, rename, cast, default, Liquid-computed fields) into a new upload; bad rows to an error report.",
  input: FileTransformInput,
  result: FileTransformResult,
  durable: true,
  retry: { maxAttempts: 5 },
  timeoutMs: 6 * 3_600_000,
  admit: (input, { env, tenant }) => uploadIssues(env, tenant, input),
  async run(input: TransformInput, ctx) {
    const source = await requireSource(ctx.env, ctx.tenant, input.uploadId, input.format);
    const format = input.output.format ?? source.format;
    const name = input.output.name ?? `${stem(source.name)}-transformed.${format}`;
    const scope: TransformScope = {
      env: ctx.env, tenant: ctx.tenant, jobId: ctx.jobId, source, format, chunkBytes: input.chunkBytes,
      mapper: new Mapper(input.mapping), outputId: `upl_${ctx.jobId.slice(4)}`, abort: input.onError === "abort", log: (message) => ctx.log(message),
    };
    await ctx.step("open the output", async () => ({ uploadId: (await startMultipart(ctx.env, ctx.tenant, { name, contentType: CONTENT_TYPES[format] }, scope.outputId)).id }));
    const done = await transformChunks(ctx, scope);
    if (done.abortedAt) {
      await ctx.step("discard the output", async () => discard(ctx, scope.outputId));
      const { row, field, message } = done.abortedAt;
      throw new NonRetryableError(`row ${row}${field ? `, ${field}` : ""}: ${message} (onError is abort; nothing was written)`);
    }
    const errorReport = done.errors.length === 0 ? null : await ctx.step("write the error report", async () => writeErrorReport(scope, `${stem(name)}-errors.csv`, done.errors));
    const file = await ctx.step("complete the output", async () => {
      const completed = await completeOutput(scope, done.at, done.parts);
      await deleteScratch(ctx.env, ctx.tenant, ctx.jobId);
      return completed;
    });
    ctx.log(`wrote ${done.at.written} rows to ${name}; rejected ${done.rejected}`);
    return { ...file, name, format, url: `/api/v1/uploads/${file.uploadId}/content`, rows: done.at.row, written: done.at.written, rejected: done.rejected, errorReport };
  },
});

/** Removes the unfinished output and the scratch objects of a transform that stopped. */
async function discard(ctx: JobContext, outputId: string) {
  const row = await findUpload(ctx.env, ctx.tenant, outputId);
  if (row) await deleteUpload(ctx.env, row);
  await deleteScratch(ctx.env, ctx.tenant, ctx.jobId);
}
