/**
 * The CSV reading of imports. It reads a file the way csv-parse does with `bom`, `relax_quotes`,
 * `relax_column_count` and `skip_empty_lines` (the options imports used it with), for a small
 * part of its cost (about 0.3 µs a row against 5 to 15), which decided how fast an import went:
 * - cells are separated by commas; a cell that starts with `"` is quoted, `""` inside it is one
 *   quote, and commas and line ends inside it are text;
 * - a quote anywhere else is an ordinary character, and so is a closing quote followed by
 *   something other than a comma or a line end (the cell keeps both quotes and goes on unquoted);
 * - records end at the first line end found outside quotes (`\r\n`, `\n` or `\r`, tried in that
 *   order) and at every later one that is the same; empty lines are skipped.
 *
 * Chunk edges are found on the bytes (quotes, commas and line ends are single bytes in UTF-8 and
 * never part of another character), the cells read from the decoded text of whole records.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** The line end a text uses, settled by the first it meets: unknown, `\n`, `\r\n` or `\r`. */
const UNKNOWN = 0;
const LF_END = 1;
const CRLF_END = 2;
const CR_END = 3;

/**
 * Where the complete records of `bytes` end, when the file goes on after them: the index just
 * after the last line end outside quotes (0 when no record is complete).
 */
export function completeRecordsEnd(bytes: Uint8Array): number {
  const n = bytes.length;
  // Without quotes, every line end ends a record: the last one is found from the end.
  const first = Math.min(bytes.indexOf(LF) >>> 0, bytes.indexOf(CR) >>> 0);
  if (first < n && bytes.indexOf(QUOTE) < 0) {
    const lf = bytes.lastIndexOf(LF);
    if (bytes[first] === LF || (bytes[first + 1] === LF && bytes[lf - 1] === CR)) return lf + 1;
  }
  let lineEnd = UNKNOWN;
  let end = 0;
  let atCellStart = true;
  for (let i = 0; i < n; ) {
    const c = bytes[i]!;
    if (c === QUOTE && atCellStart) {
      // Skip the quoted text: up to a quote that is not doubled, and see what follows it.
      let j = i + 1;
      for (;;) {
        j = bytes.indexOf(QUOTE, j);
        if (j < 0 || j + 1 >= n) return end;
        if (bytes[j + 1] !== QUOTE) break;
        j += 2;
      }
      i = j + 1;
      atCellStart = false;
    } else if (c === COMMA) {
      atCellStart = true;
      i += 1;
    } else if (c === LF || c === CR) {
      if (c === CR && i + 1 >= n && lineEnd !== LF_END) return end; // a \r\n cut in two, maybe
      const crlf = c === CR && bytes[i + 1] === LF;
      if (lineEnd === UNKNOWN) lineEnd = c === LF ? LF_END : crlf ? CRLF_END : CR_END;
      const length = lineEnd === LF_END ? (c === LF ? 1 : 0) : lineEnd === CR_END ? (c === CR ? 1 : 0) : crlf ? 2 : 0;
      if (length === 0) {
        atCellStart = false;
        i += 1;
        continue;
      }
      i += length;
      end = i;
      atCellStart = true;
    } else {
      atCellStart = false;
      i += 1;
    }
  }
  return end;
}

/** A text of whole records, read a cell at a time. */
class CsvText {
  private lineEnd = UNKNOWN;
  private nextComma = -1;
  private nextLf = -1;
  readonly length: number;

  constructor(readonly text: string) {
    this.length = text.length;
  }

  /** The length of the line end at `i` (0: none; the text ends where the file does). */
  lineEndAt(i: number): number {
    const c = this.text.charCodeAt(i);
    if (c !== LF && c !== CR) return 0;
    const crlf = c === CR && this.text.charCodeAt(i + 1) === LF;
    if (this.lineEnd === UNKNOWN) this.lineEnd = c === LF ? LF_END : crlf ? CRLF_END : CR_END;
    if (this.lineEnd === LF_END) return c === LF ? 1 : 0;
    if (this.lineEnd === CR_END) return c === CR ? 1 : 0;
    return crlf ? 2 : 0;
  }

  /** The end of unquoted text starting at `i`: the next comma or line end. */
  unquotedEnd(i: number): number {
    if (this.lineEnd === LF_END || this.lineEnd === CRLF_END) {
      // Found with indexOf, remembering the next comma and \n until they are passed.
      const { text, length } = this;
      if (this.nextComma < i) this.nextComma = text.indexOf(",", i) >>> 0;
      if (this.nextLf < i) this.nextLf = text.indexOf("\n", i) >>> 0;
      const comma = Math.min(this.nextComma, length);
      const lf = Math.min(this.nextLf, length);
      if (comma < lf || lf === length) return comma;
      if (this.lineEnd === LF_END) return lf;
      if (lf > i && text.charCodeAt(lf - 1) === CR) return Math.min(comma, lf - 1);
      // A \n alone in a \r\n text is an ordinary character: read on a character at a time.
    }
    for (; i < this.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c === COMMA || ((c === LF || c === CR) && this.lineEndAt(i) > 0)) return i;
    }
    return this.length;
  }
}

/**
 * Calls `visit` with the cells of each record of `text`, which ends where the file does (or after
 * a complete record). The cells array is reused from record to record: copy what you keep.
 * Answers whether the text ended inside a quoted cell, a record that is then not visited.
 */
export function forEachCsvRecord(text: string, visit: (cells: string[], count: number) => void): { unclosedQuote: boolean } {
  const csv = new CsvText(text);
  const n = text.length;
  const cells: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < n) {
    const empty = csv.lineEndAt(i);
    if (empty > 0) {
      i += empty;
      continue;
    }
    let count = 0;
    for (;;) {
      let cell: string;
      if (text.charCodeAt(i) === QUOTE) {
        const quoted = quotedCell(text, i);
        if (!quoted) return { unclosedQuote: true };
        i = quoted.end;
        cell = quoted.text;
        if (i < n && text.charCodeAt(i) !== COMMA && csv.lineEndAt(i) === 0) {
          const rest = csv.unquotedEnd(i);
          cell = `"${cell}"${text.slice(i, rest)}`;
          i = rest;
        }
      } else {
        const end = csv.unquotedEnd(i);
        cell = text.slice(i, end);
        i = end;
      }
      cells[count++] = cell;
      if (i < n && text.charCodeAt(i) === COMMA) {
        i += 1;
        if (i < n) continue;
        cells[count++] = "";
      }
      if (i < n) i += csv.lineEndAt(i);
      break;
    }
    visit(cells, count);
  }
  return { unclosedQuote: false };
}
/** The text of the quoted cell opening at `start` and the index after its closing quote, or null if it never closes. */
function quotedCell(text: string, start: number): { text: string; end: number } | null {
  let cell = "";
  let from = start + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return null;
    if (text.charCodeAt(q + 1) === QUOTE) {
      cell += text.slice(from, q + 1);
      from = q + 2;
      continue;
    }
    return { text: cell + text.slice(from, q), end: q + 1 };
  }
}
