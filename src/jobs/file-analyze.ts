import { z } from "@hono/zod-openapi";
import { ColumnProfileSchema, Profiler, type ProfileState, emptyProfile } from "../files/profile";
import { storeProfileReport } from "../files/profile-report";
import { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, readFileChunk } from "../files/records";
import { deleteScratch, scratchKey } from "../files/scratch";
import { type FileSource, FileFormatSchema, requireSource, uploadIssues } from "../files/source";
import { REPORT_FORMATS } from "../reports/formats";
import { type JobContext, defineJob } from "./define";

const FileAnalyzeInput = z.object({
  uploadId: z.string().min(1).max(64).describe("A stored CSV (with a header row), NDJSON or JSON (an array of objects) upload."),
  format: FileFormatSchema.optional().describe("Default: from the upload's content type or name."),
  sampleRows: z.number().int().min(0).max(100).default(5).describe("The first rows, kept as samples."),
  topValues: z.number().int().min(1).max(10).default(5).describe("Most frequent values listed per column."),
  chunkBytes: z.number().int().min(MIN_CHUNK_BYTES).max(MAX_CHUNK_BYTES).default(DEFAULT_CHUNK_BYTES).describe("Bytes read per checkpointed step."),
  report: z
    .object({
      name: z.string().trim().min(1).max(200).optional().describe('Default: "<upload name> profile".'),
      format: z.enum(REPORT_FORMATS).default("markdown"),
    })
    .optional()
    .describe("Also render the profile into a new version of this report."),
});
type AnalyzeInput = z.output<typeof FileAnalyzeInput>;

const FileAnalyzeResult = z.object({
  uploadId: z.string(),
  name: z.string(),
  format: FileFormatSchema,
  bytes: z.number().int(),
  rows: z.number().int().describe("Records read as rows."),
  rejected: z.number().int().describe("Records that could not be read (bad JSON, a CSV row of the wrong width)."),
  columns: z.array(ColumnProfileSchema),
  columnsTruncated: z.boolean().describe("The file has more columns than the 200 profiled."),
  samples: z.array(z.record(z.string(), z.unknown())),
  report: z
    .object({
      reportId: z.string(),
      reportName: z.string(),
      version: z.number().int(),
      format: z.enum(REPORT_FORMATS),
      duplicate: z.boolean(),
      contentUrl: z.string(),
    })
    .nullable(),
});
type Profile = Omit<z.output<typeof FileAnalyzeResult>, "report">;

async function readState(env: Env, key: string | null): Promise<ProfileState> {
  if (key === null) return emptyProfile();
  const object = await env.BUCKET.get(key);
  if (!object) throw new Error(`the profile checkpoint ${key} is missing`);
  return object.json<ProfileState>();
}

/** One durable step: the profile so far (from the previous step's checkpoint) plus a chunk's records, checkpointed in R2. */
interface ProfiledChunk {
  nextOffset: number;
  /** The R2 key of the profile so far. */
  checkpoint: string;
  rows: number;
}

async function profileChunk(ctx: JobContext, input: AnalyzeInput, source: FileSource, at: { offset: number; step: number }, previous: string | null): Promise<ProfiledChunk> {
  const profiler = new Profiler(await readState(ctx.env, previous), input.sampleRows);
  const chunk = await readFileChunk(ctx.env, ctx.tenant, source, at.offset, input.chunkBytes, profiler.state.header);
  if (chunk.header) profiler.header(chunk.header);
  const fromText = source.format === "csv";
  for (const record of chunk.records) {
    if ("values" in record) profiler.add(record.values, fromText);
    else profiler.rejected();
  }
  // The state holds every column's sketches (up to ~10 KB each): too large for a step's result, so it goes to R2.
  const key = scratchKey(ctx.tenant, ctx.jobId, `profile-${at.step}.json`);
  await ctx.env.BUCKET.put(key, JSON.stringify(profiler.checkpoint()));
  // The step before this one has finished, so no step reads the checkpoint before it again.
  if (at.step >= 2) await ctx.env.BUCKET.delete(scratchKey(ctx.tenant, ctx.jobId, `profile-${at.step - 2}.json`));
  ctx.log(`profiled bytes ${at.offset}-${chunk.nextOffset}: ${profiler.state.rows} rows so far`);
  return { nextOffset: chunk.nextOffset, checkpoint: key, rows: profiler.state.rows };
}

/** Profiles the file a chunk per step; the last checkpoint's key, or null for an empty file. */
async function profileFile(ctx: JobContext, input: AnalyzeInput, source: FileSource): Promise<string | null> {
  let offset = 0;
  let checkpoint: string | null = null;
  for (let step = 0; offset < source.size; step++) {
    const at = { offset, step };
    const previous: string | null = checkpoint;
    const done: ProfiledChunk = await ctx.step(`profile from byte ${offset}`, async () => profileChunk(ctx, input, source, at, previous));
    offset = done.nextOffset;
    checkpoint = done.checkpoint;
    await ctx.progress((offset / source.size) * 100, { stage: "profile", message: `${done.rows} rows; ${offset} of ${source.size} bytes` });
  }
  return checkpoint;
}

/** The profile the last checkpoint holds, its scratch objects removed. */
async function summarize(ctx: JobContext, input: AnalyzeInput, source: FileSource, checkpoint: string | null): Promise<Profile> {
  const state = await readState(ctx.env, checkpoint);
  const profiler = new Profiler(state, 0);
  await deleteScratch(ctx.env, ctx.tenant, ctx.jobId);
  return {
    uploadId: source.uploadId,
    name: source.name,
    format: source.format,
    bytes: source.size,
    rows: state.rows,
    rejected: state.rejected,
    columns: profiler.columns(input.topValues),
    columnsTruncated: state.columnsTruncated,
    samples: state.samples,
  };
}

/**
 * Profiles an uploaded CSV, NDJSON or JSON file as it streams, a chunk per durable step: each
 * column's inferred type, nulls, distinct count (HyperLogLog past 1,000 values), numbers' min, max
 * and mean and most frequent values (Misra-Gries), in memory that does not grow with the file.
 */
export const fileAnalyze = defineJob({
  type: "file.analyze",
  description: "Profiles an uploaded CSV, NDJSON or JSON file: types, nulls, distinct counts, numbers' ranges, frequent values, samples; optionally as a report.",
  input: FileAnalyzeInput,
  result: FileAnalyzeResult,
  durable: true,
  retry: { maxAttempts: 5 },
  timeoutMs: 6 * 3_600_000,
  admit: (input, { env, tenant }) => uploadIssues(env, tenant, input),
  async run(input, ctx) {
    const source = await requireSource(ctx.env, ctx.tenant, input.uploadId, input.format);
    const checkpoint = await profileFile(ctx, input, source);
    const profile = await ctx.step("summarize", async () => summarize(ctx, input, source, checkpoint));
    ctx.log(`profiled ${profile.rows} rows and ${profile.columns.length} columns of ${source.name}`);
    const { report } = input;
    if (!report) return { ...profile, report: null };
    await ctx.progress(100, { stage: "report" });
    const target = { name: report.name ?? `${source.name} profile`, format: report.format };
    const stored = await ctx.step("write the report", async () => storeProfileReport(ctx.env, ctx, profile, target));
    ctx.log(stored.duplicate ? `the report equals version ${stored.version}: nothing stored` : `stored version ${stored.version} of report ${stored.reportName}`);
    return { ...profile, report: stored };
  },
});
