import { type Options, parse } from "csv-parse";

export type SourceFormat = "csv" | "ndjson";

export interface ChunkRecords {
  /** Each record's values by column (CSV) or the parsed line (NDJSON), or a parse error. */
  records: ({ values: Record<string, unknown> } | { error: string })[];
  /** Where the next chunk starts: just after the last complete record. */
  nextOffset: number;
  /** The CSV header, when this chunk started at the top of the file. */
  header?: string[];
}

export class MalformedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedFileError";
  }
}

/** Rows longer than this are refused rather than read without end. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

async function readRange(bucket: R2Bucket, key: string, offset: number, length: number): Promise<Uint8Array> {
  const object = await bucket.get(key, { range: { offset, length } });
  if (!object) throw new Error(`object ${key} vanished`);
  return new Uint8Array(await object.arrayBuffer());
}

function csvRecords(bytes: Uint8Array, atEnd: boolean, columns: string[] | undefined) {
  // The records of a chunk are read after it is written: a readable side that never fills keeps
  // the parser from holding back the write until someone reads.
  const parser = parse({
    info: true,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    readableHighWaterMark: Number.MAX_SAFE_INTEGER,
  } as Options);
  const out: { record: string[]; bytes: number }[] = [];
  const drain = () => {
    let item: { record: string[]; info: { bytes: number } } | null;
    while ((item = parser.read()) !== null) out.push({ record: item.record, bytes: item.info.bytes });
  };
  return new Promise<{ rows: { record: string[]; bytes: number }[]; error?: Error }>((resolve) => {
    parser.on("error", (error) => resolve({ rows: out, error }));
    parser.write(bytes, () => {
      drain();
      if (!atEnd) return resolve({ rows: out });
      parser.end(() => {
        drain();
        resolve({ rows: out });
      });
    });
  }).then(({ rows, error }) => ({ rows, columns, error }));
}

/**
 * Reads the complete records in [offset, offset + chunkBytes) of a stored file. A record cut by
 * the end of the range is left for the next chunk; a chunk too small for even one record is read
 * again larger.
 */
export async function readChunk(
  bucket: R2Bucket,
  key: string,
  format: SourceFormat,
  size: number,
  offset: number,
  chunkBytes: number,
  header: string[] | undefined,
): Promise<ChunkRecords> {
  for (let length = chunkBytes; ; length *= 2) {
    const end = Math.min(size, offset + length);
    const atEnd = end === size;
    const bytes = await readRange(bucket, key, offset, end - offset);
    const chunk = format === "csv" ? await csvChunk(bytes, atEnd, offset, header) : ndjsonChunk(bytes, atEnd, offset);
    if (chunk.nextOffset > offset || atEnd) return chunk;
    if (length >= MAX_RECORD_BYTES) throw new MalformedFileError(`a record at byte ${offset} is longer than ${MAX_RECORD_BYTES} bytes`);
  }
}

async function csvChunk(bytes: Uint8Array, atEnd: boolean, offset: number, header: string[] | undefined): Promise<ChunkRecords> {
  const { rows, error } = await csvRecords(bytes, atEnd, header);
  if (error && !atEnd) throw new MalformedFileError(`the CSV cannot be read past byte ${offset + (rows.at(-1)?.bytes ?? 0)}: ${error.message}`);
  let columns = header;
  let consumed = 0;
  const records: ChunkRecords["records"] = [];
  let newHeader: string[] | undefined;
  for (const row of rows) {
    consumed = row.bytes;
    if (!columns) {
      columns = row.record.map((c) => c.trim());
      newHeader = columns;
      continue;
    }
    if (row.record.length !== columns.length) {
      records.push({ error: `has ${row.record.length} columns; the header has ${columns.length}` });
      continue;
    }
    records.push({ values: Object.fromEntries(columns.map((c, i) => [c, row.record[i]])) });
  }
  // A broken last record (e.g. a quote never closed) is reported as a bad row.
  if (error) records.push({ error: `cannot be read: ${error.message}` });
  return { records, nextOffset: offset + (atEnd ? bytes.byteLength : consumed), ...(newHeader ? { header: newHeader } : {}) };
}

function ndjsonChunk(bytes: Uint8Array, atEnd: boolean, offset: number): ChunkRecords {
  const lastNewline = bytes.lastIndexOf(0x0a);
  const usable = atEnd ? bytes.byteLength : lastNewline + 1;
  const text = new TextDecoder().decode(bytes.subarray(0, usable));
  const records: ChunkRecords["records"] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (value === null || typeof value !== "object" || Array.isArray(value)) records.push({ error: "is not a JSON object" });
      else records.push({ values: value as Record<string, unknown> });
    } catch (err) {
      records.push({ error: `is not valid JSON: ${(err as Error).message}` });
    }
  }
  return { records, nextOffset: offset + usable };
}
