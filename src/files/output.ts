import { csvCell } from "../exports/csv";
import type { FileFormat } from "./source";

/** What a file of `format` starts with: a CSV's header row, a JSON array's bracket. */
export function fileStart(format: FileFormat, names: string[]): string {
  if (format === "csv") return `${names.map(csvCell).join(",")}\n`;
  return format === "json" ? "[" : "";
}

/** One record; `first` tells a JSON array's first element (no comma before it). */
export function fileRecord(format: FileFormat, names: string[], values: unknown[], first: boolean): string {
  if (format === "csv") return `${values.map(csvCell).join(",")}\n`;
  const json = JSON.stringify(Object.fromEntries(names.map((name, i) => [name, values[i] ?? null])));
  return format === "ndjson" ? `${json}\n` : `${first ? "\n" : ",\n"}${json}`;
}

/** What a file of `format` ends with, after `records` records. */
export function fileEnd(format: FileFormat, records: number): string {
  if (format !== "json") return "";
  return records === 0 ? "]\n" : "\n]\n";
}
