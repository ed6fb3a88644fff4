import { z } from "@hono/zod-openapi";
import { NonRetryableError } from "../engine/errors";
import { csvCell } from "../exports/csv";
import { type ExportRecord, columnsOf, countOf, datasetExists, pageOf } from "../exports/sources";
import { storeConcatenation } from "../uploads/store";
import { defineJob } from "./define";

const SEGMENT_BYTES = 4 * 1024 * 1024;
const PAGE_ROWS = 500;

const ExportInput = z
  .object({
    source: z.enum(["jobs", "reports", "dataset"]),
    dataset: z.string().min(1).max(64).optional().describe("The dataset to export, when source is dataset."),
    filters: z
      .object({
        status: z.enum(["queued", "running", "retrying", "completed", "failed", "cancelled"]).optional(),
        type: z.string().max(100).optional(),
        createdAfter: z.iso.datetime().optional(),
        createdBefore: z.iso.datetime().optional(),
      })
      .optional()
      .describe("Job filters, when source is jobs."),
    format: z.enum(["csv", "ndjson", "json"]).default("csv"),
    name: z.string().trim().min(1).max(200).optional().describe("The exported file's name."),
  })
  .refine((i) => (i.source === "dataset") === (i.dataset !== undefined), { message: "give dataset exactly when source is dataset", path: ["dataset"] })
  .refine((i) => i.source === "jobs" || i.filters === undefined, { message: "filters apply to job exports", path: ["filters"] });

const ExportResult = z.object({
  uploadId: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  rows: z.number().int(),
  format: z.enum(["csv", "ndjson", "json"]),
  name: z.string(),
  url: z.string().describe("Where the exported file is downloaded."),
});

interface Segment {
  key: string;
  bytes: number;
  cursor: string | null;
  rows: number;
  done: boolean;
}

const CONTENT_TYPES = { csv: "text/csv", ndjson: "application/x-ndjson", json: "application/json" } as const;

function serialize(format: "csv" | "ndjson" | "json", columns: string[], record: ExportRecord, first: boolean): string {
  if (format === "csv") return `${columns.map((c) => csvCell(record[c])).join(",")}\n`;
  if (format === "ndjson") return `${JSON.stringify(record)}\n`;
  return `${first ? "" : ",\n"}${JSON.stringify(record)}`;
}

/**
 * Exports the tenant's jobs, reports or a dataset as CSV, NDJSON or JSON. Records are read in key
 * order and written a segment (about 4 MiB) per durable step, so a retry resumes after the last
 * written segment; the segments are then joined into one upload, streamed.
 */
export const exportJob = defineJob({
  type: "export",
  description: "Exports jobs, reports or a dataset as CSV, NDJSON or JSON into R2, with a download link.",
  input: ExportInput,
  result: ExportResult,
  durable: true,
  retry: { maxAttempts: 5 },
  timeoutMs: 6 * 3_600_000,
  async run(input, ctx) {
    if (input.source === "dataset" && !(await datasetExists(ctx.env, ctx.tenant, input.dataset!))) {
      throw new NonRetryableError(`dataset ${input.dataset} not found`);
    }
    const spec = { source: input.source, dataset: input.dataset, filters: input.filters };
    const { total, columns } = await ctx.step("count", async () => ({
      total: await countOf(ctx.env, ctx.tenant, spec),
      columns: await columnsOf(ctx.env, ctx.tenant, spec),
    }));
    const prefix = `exports/${ctx.tenant}/${ctx.jobId}`;
    const segments: { key: string; bytes: number }[] = [];
    let cursor: string | null = null;
    let rows = 0;
    for (let n = 0; ; n++) {
      const from: { cursor: string | null; rows: number } = { cursor, rows };
      const segment: Segment = await ctx.step(`segment ${n}`, async (): Promise<Segment> => {
        let text = n === 0 ? (input.format === "csv" ? `${columns.map(csvCell).join(",")}\n` : input.format === "json" ? "[\n" : "") : "";
        let next: string | null = from.cursor;
        let written = 0;
        let done = false;
        while (text.length < SEGMENT_BYTES) {
          const page = await pageOf(ctx.env, ctx.tenant, spec, next, PAGE_ROWS);
          for (const record of page.records) text += serialize(input.format, columns, record, from.rows + written++ === 0);
          next = page.cursor ?? next;
          if (page.records.length < PAGE_ROWS) {
            done = true;
            break;
          }
        }
        if (done && input.format === "json") text += "\n]\n";
        const bytes = new TextEncoder().encode(text);
        const key = `${prefix}/${n}`;
        await ctx.env.BUCKET.put(key, bytes);
        return { key, bytes: bytes.byteLength, cursor: next, rows: written, done };
      });
      segments.push({ key: segment.key, bytes: segment.bytes });
      cursor = segment.cursor;
      rows += segment.rows;
      await ctx.progress(total === 0 ? 100 : Math.min(99, (rows / total) * 100), { stage: "export", message: `${rows} of ${total} records` });
      if (segment.done) break;
    }

    const name = input.name ?? `${input.source === "dataset" ? input.dataset : input.source}-export.${input.format}`;
    const file = await ctx.step("join segments", async () => {
      const size = segments.reduce((n, s) => n + s.bytes, 0);
      const upload = await storeConcatenation(ctx.env, ctx.tenant, `upl_${ctx.jobId.slice(4)}`, { name, contentType: CONTENT_TYPES[input.format] }, segments.map((s) => s.key), size);
      await ctx.env.BUCKET.delete(segments.map((s) => s.key));
      return { uploadId: upload.id, size: upload.size!, sha256: upload.sha256! };
    });
    ctx.log(`exported ${rows} records to ${name}`);
    return { ...file, rows, format: input.format, name, url: `/api/v1/uploads/${file.uploadId}/content` };
  },
});
