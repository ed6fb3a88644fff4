import { type ChunkRecords, MAX_RECORD_BYTES, MalformedFileError } from "../datasets/records";

/**
 * A JSON file of records is one array, `[{…}, {…}, …]`, read a byte range at a time like CSV and
 * NDJSON: a chunk starts where an element starts (just after `[` or after a comma between
 * elements) and ends after the last comma, or the closing bracket, that it holds whole. Brackets,
 * braces, quotes, backslashes and commas are single bytes in UTF-8 and never part of another
 * character, so the edges are found on the bytes; each element is decoded and parsed alone.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const BOM = [0xef, 0xbb, 0xbf];
const TRAILING_BYTES = 4096;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The elements found whole in a range: where each ends (its comma or the closing bracket), and whether the array closed. */
interface Scan {
  ends: number[];
  closed: boolean;
}

/** Scans from the start of an element (depth 0 inside the array) for the elements the bytes hold whole. */
function scanElements(bytes: Uint8Array, from: number): Scan {
  const ends: number[] = [];
  let depth = 0;
  let inString = false;
  for (let i = from; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1;
    else if (c === CLOSE_BRACE || (c === CLOSE_BRACKET && depth > 0)) depth -= 1;
    else if (depth === 0 && (c === COMMA || c === CLOSE_BRACKET)) {
      ends.push(i);
      if (c === CLOSE_BRACKET) return { ends, closed: true };
    }
  }
  return { ends, closed: false };
}

/** Where the first element starts: after the opening bracket (and any byte order mark and whitespace). */
function arrayStart(bytes: Uint8Array): number {
  let i = BOM.every((b, j) => bytes[j] === b) ? BOM.length : 0;
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  if (bytes[i] !== OPEN_BRACKET) throw new MalformedFileError("a JSON file of records must hold one array: [{…}, {…}, …]");
  return i + 1;
}

async function readRange(bucket: R2Bucket, key: string, offset: number, length: number): Promise<Uint8Array> {
  const object = await bucket.get(key, { range: { offset, length } });
  if (!object) throw new Error(`object ${key} vanished`);
  return new Uint8Array(await object.arrayBuffer());
}

/** Each element between `start` and the ends as a record, or why it is not one. */
function recordsOf(bytes: Uint8Array, start: number, ends: number[]): ChunkRecords["records"] {
  const decoder = new TextDecoder();
  const records: ChunkRecords["records"] = [];
  let from = start;
  for (const end of ends) {
    const text = decoder.decode(bytes.subarray(from, end)).trim();
    from = end + 1;
    // `[]` and a trailing `,]` leave an empty last element: no record.
    if (text === "" && end === ends.at(-1) && bytes[end] === CLOSE_BRACKET) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      records.push({ error: `row is not valid JSON: ${(err as Error).message}` });
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) records.push({ error: "row is not a JSON object" });
    else records.push({ values: value as Record<string, unknown> });
  }
  return records;
}

/** What follows the closing bracket must be whitespace. */
function assertNothingAfter(bytes: Uint8Array, from: number) {
  for (let i = from; i < bytes.length; i++) {
    if (!isSpace(bytes[i]!)) throw new MalformedFileError(`the JSON file goes on after its array closes (byte ${i})`);
  }
}

/**
 * Reads the whole elements of a JSON array file in [offset, offset + chunkBytes), as records; a
 * chunk too small for one element is read again larger. `nextOffset` is the file's size once the
 * array has closed.
 */
export async function readJsonChunk(bucket: R2Bucket, key: string, size: number, offset: number, chunkBytes: number): Promise<ChunkRecords> {
  for (let length = chunkBytes; ; length *= 2) {
    const end = Math.min(size, offset + length);
    const bytes = await readRange(bucket, key, offset, end - offset);
    const start = offset === 0 ? arrayStart(bytes) : 0;
    const { ends, closed } = scanElements(bytes, start);
    if (closed) {
      assertNothingAfter(bytes, ends.at(-1)! + 1);
      if (end < size) {
        // Only whitespace may follow, and not megabytes of it.
        if (size - end > TRAILING_BYTES) throw new MalformedFileError(`the JSON file goes on after its array closes (byte ${end})`);
        assertNothingAfter(await readRange(bucket, key, end, size - end), 0);
      }
      return { records: recordsOf(bytes, start, ends), nextOffset: size };
    }
    if (end === size) throw new MalformedFileError("the JSON array is never closed: the file ends inside it");
    if (ends.length > 0) return { records: recordsOf(bytes, start, ends), nextOffset: offset + ends.at(-1)! + 1 };
    if (length >= MAX_RECORD_BYTES) throw new MalformedFileError(`a record at byte ${offset} is longer than ${MAX_RECORD_BYTES} bytes`);
  }
}
