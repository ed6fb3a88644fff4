import { parse as parseCsv } from "csv-parse/sync";

/** Data files small enough to hold in memory as a template's `data`. */
export const MAX_DATA_FILE_BYTES = 10 * 1024 * 1024;

export class DataFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataFileError";
  }
}

function kindOf(contentType: string, name: string): "json" | "ndjson" | "csv" | null {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || name.endsWith(".json")) return "json";
  if (type === "application/x-ndjson" || type === "application/jsonl" || /\.(nd)?jsonl?$/.test(name)) return "ndjson";
  if (type === "text/csv" || name.endsWith(".csv")) return "csv";
  return null;
}

/**
 * Parses a data file by its type: JSON as is, NDJSON as an array of its lines' values, CSV (with
 * a header row) as an array of objects keyed by column.
 */
export function parseDataFile(text: string, contentType: string, name: string): unknown {
  const kind = kindOf(contentType, name);
  try {
    if (kind === "json") return JSON.parse(text);
    if (kind === "ndjson") return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
    if (kind === "csv") return parseCsv(text, { columns: true, skip_empty_lines: true, bom: true });
  } catch (err) {
    throw new DataFileError(`${name} is not valid ${kind?.toUpperCase()}: ${(err as Error).message}`);
  }
  throw new DataFileError(`${name} (${contentType}) is not a data file: use JSON, NDJSON or CSV`);
}
