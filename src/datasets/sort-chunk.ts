import type { FieldProblem, RowEncoder } from "./encode";
import { columnCountMessage, type SourceFormat, visitRecords } from "./records";
import type { UpsertRows } from "./rows";

/** A problem with one field of a row of the file ("" for the row as a whole). */
export interface RowError extends FieldProblem {
  row: number;
}

/** Problems kept per chunk for the error report; beyond this they are only counted. */
const MAX_CHUNK_ERRORS = 1_000;

export interface SortedChunk {
  /** The CSV header, when the chunk started the file. */
  header?: string[];
  /** Records read, good and bad. */
  records: number;
  imported: number;
  /** Rows refused, and the problems found in them (a row may have several). */
  rejected: number;
  problems: number;
  /** The first problems, at most MAX_CHUNK_ERRORS. */
  errors: RowError[];
  /** With `abort`, the problem that stopped the import. */
  abortedAt?: RowError;
}

/**
 * Reads a chunk's records, numbered on from `firstRow`, into `rows` (the good ones) and problems
 * (the bad ones). With `abort`, rows after the first bad one are counted but not taken.
 */
export function sortChunk(
  text: string,
  format: SourceFormat,
  header: string[] | undefined,
  encoder: RowEncoder,
  firstRow: number,
  rows: UpsertRows,
  abort: boolean,
): SortedChunk {
  const sorted: SortedChunk = { records: 0, imported: 0, rejected: 0, problems: 0, errors: [] };
  const values = encoder.values;
  let columns = header;
  /** For each declared field, the CSV column it is read from (-1: none; the last of a name wins, as by name). */
  let fieldColumns: number[] = [];
  const mapColumns = (c: string[]) => (fieldColumns = encoder.fieldNames.map((name) => c.lastIndexOf(name)));
  if (columns) mapColumns(columns);

  const refuse = (row: number, problems: FieldProblem[]) => {
    sorted.rejected += 1;
    sorted.problems += problems.length;
    for (const p of problems) if (sorted.errors.length < MAX_CHUNK_ERRORS) sorted.errors.push({ row, ...p });
    if (abort) sorted.abortedAt = { row, ...problems[0]! };
  };
  /** Takes a row, the element `RowEncoder` wrote for it or the problems it found. */
  const take = (row: number, element: string | FieldProblem[]) => {
    if (typeof element !== "string") return refuse(row, element);
    rows.add(row, element);
    sorted.imported += 1;
  };

  visitRecords(text, format, header, {
    header(c) {
      columns = sorted.header = c;
      mapColumns(c);
    },
    csv(cells, count) {
      const row = firstRow + ++sorted.records;
      if (sorted.abortedAt) return;
      if (count !== columns!.length) return refuse(row, [{ field: "", message: columnCountMessage(count, columns!.length) }]);
      for (let f = 0; f < fieldColumns.length; f++) values[f] = fieldColumns[f]! < 0 ? undefined : cells[fieldColumns[f]!];
      take(row, encoder.encode() ?? encoder.check(Object.fromEntries(columns!.map((c, i) => [c, cells[i]]))));
    },
    object(value) {
      const row = firstRow + ++sorted.records;
      if (sorted.abortedAt) return;
      const names = encoder.fieldNames;
      for (let f = 0; f < names.length; f++) values[f] = Object.hasOwn(value, names[f]!) ? value[names[f]!] : undefined;
      take(row, encoder.encode() ?? encoder.check(value));
    },
    broken(message) {
      const row = firstRow + ++sorted.records;
      if (!sorted.abortedAt) refuse(row, [{ field: "", message }]);
    },
  });
  return sorted;
}
