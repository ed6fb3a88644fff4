import { completeRecordsEnd, forEachCsvRecord } from "./csv";

export type SourceFormat = "csv" | "ndjson";

/** The text of whole records read from a stored file. */
export interface ChunkText {
  /** The decoded bytes [offset, nextOffset). */
  text: string;
  /** Where the next chunk starts: just after the last complete record. */
  nextOffset: number;
}

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

const LF = 0x0a;

async function readRange(bucket: R2Bucket, key: string, offset: number, length: number): Promise<Uint8Array> {
  const object = await bucket.get(key, { range: { offset, length } });
  if (!object) throw new Error(`object ${key} vanished`);
  return new Uint8Array(await object.arrayBuffer());
}

/** Where the whole records of `bytes` end (the file goes on after them unless `atEnd`). */
function recordsEnd(bytes: Uint8Array, format: SourceFormat, atEnd: boolean): number {
  if (atEnd) return bytes.byteLength;
  return format === "csv" ? completeRecordsEnd(bytes) : bytes.lastIndexOf(LF) + 1;
}

/**
 * Reads the complete records in [offset, offset + chunkBytes) of a stored file. A record cut by
 * the end of the range is left for the next chunk; a chunk too small for even one record is read
 * again larger.
 */
export async function readChunkText(bucket: R2Bucket, key: string, format: SourceFormat, size: number, offset: number, chunkBytes: number): Promise<ChunkText> {
  for (let length = chunkBytes; ; length *= 2) {
    const end = Math.min(size, offset + length);
    const bytes = await readRange(bucket, key, offset, end - offset);
    const usable = recordsEnd(bytes, format, end === size);
    if (usable > 0 || end === size) return { text: new TextDecoder().decode(bytes.subarray(0, usable)), nextOffset: offset + usable };
    if (length >= MAX_RECORD_BYTES) throw new MalformedFileError(`a record at byte ${offset} is longer than ${MAX_RECORD_BYTES} bytes`);
  }
}

/** How a chunk's records are handed over, one call each. Cells arrays are reused: copy what you keep. */
export interface RecordVisitor {
  /** The CSV header, when the chunk starts the file; the header is not a record. */
  header(columns: string[]): void;
  csv(cells: string[], count: number): void;
  object(value: Record<string, unknown>): void;
  /** A record that cannot be read, and why ("row ..."). */
  broken(message: string): void;
}

/** Hands each record of a chunk's text to `visit`; `header` is the CSV header read with an earlier chunk. */
export function visitRecords(text: string, format: SourceFormat, header: string[] | undefined, visit: RecordVisitor): void {
  if (format === "ndjson") return visitNdjson(text, visit);
  let columns = header;
  const { unclosedQuote } = forEachCsvRecord(text, (cells, count) => {
    if (columns) return visit.csv(cells, count);
    columns = cells.slice(0, count).map((c) => c.trim());
    visit.header(columns);
  });
  if (unclosedQuote) visit.broken("row cannot be read: a quoted cell is never closed");
}

function visitNdjson(text: string, visit: RecordVisitor): void {
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      visit.broken(`row is not valid JSON: ${(err as Error).message}`);
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) visit.broken("row is not a JSON object");
    else visit.object(value as Record<string, unknown>);
  }
}

/** The message for a CSV record whose cells do not match the header's columns. */
export const columnCountMessage = (count: number, columns: number) => `row has ${count} columns; the header has ${columns}`;

/** The records of a chunk as objects, for readers of small volumes (documents). */
export async function readChunk(
  bucket: R2Bucket,
  key: string,
  format: SourceFormat,
  size: number,
  offset: number,
  chunkBytes: number,
  header: string[] | undefined,
): Promise<ChunkRecords> {
  const { text, nextOffset } = await readChunkText(bucket, key, format, size, offset, chunkBytes);
  const records: ChunkRecords["records"] = [];
  let columns = header;
  let newHeader: string[] | undefined;
  visitRecords(text, format, header, {
    header: (c) => (columns = newHeader = c),
    csv: (cells, count) => {
      if (count !== columns!.length) records.push({ error: columnCountMessage(count, columns!.length) });
      else records.push({ values: Object.fromEntries(columns!.map((c, i) => [c, cells[i]])) });
    },
    object: (values) => records.push({ values }),
    broken: (message) => records.push({ error: message }),
  });
  return { records, nextOffset, ...(newHeader ? { header: newHeader } : {}) };
}
