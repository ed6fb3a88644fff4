/**
 * D1 bindings that report the rows every statement read and wrote, from D1's own answer (`meta`).
 * `run`, `all` and `batch` carry it; `first` and `raw` do not, so they are answered through `all`,
 * which sends the same query: `first` is `all` plus its first row in the runtime too, and `raw` (how
 * drizzle reads every select and RETURNING) gets its rows as arrays again from the objects, which is
 * exact when the result's column names are distinct (a repeated name would be one key of the object).
 * A `raw` whose names cannot be told from its text (`*`, a repeated name, a number) runs as it is:
 * a query counted, its rows not.
 */

export interface D1Counts {
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  /** Queries whose rows D1 did not report (a `raw` of an unusual result, see above). */
  d1QueriesUnmetered: number;
}

export function meteredDatabase(db: D1Database, counts: D1Counts): D1Database {
  const count = <R extends D1Result | D1Result[]>(result: R): R => {
    for (const r of Array.isArray(result) ? result : [result]) {
      counts.d1Queries += 1;
      counts.d1RowsRead += r.meta?.rows_read ?? 0;
      counts.d1RowsWritten += r.meta?.rows_written ?? 0;
    }
    return result;
  };
  const statement = (s: D1PreparedStatement, query: string): D1PreparedStatement =>
    intercept(s, {
      bind: (...values: unknown[]) => statement(s.bind(...values), query),
      run: async () => count(await s.run()),
      all: async () => count(await s.all()),
      first: async (column?: string) => {
        const row = count(await s.all()).results[0] as Record<string, unknown> | undefined;
        if (!row) return null;
        if (column === undefined) return row;
        if (row[column] === undefined) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
        return row[column];
      },
      raw: async (options?: { columnNames?: boolean }) => {
        const width = options?.columnNames ? undefined : resultWidth(query);
        if (width === undefined) {
          counts.d1Queries += 1;
          counts.d1QueriesUnmetered += 1;
          return s.raw(options as { columnNames: false });
        }
        return count(await s.all()).results.map((row) => cellsOf(row as Record<string, unknown>, width));
      },
    });
  return intercept(db, {
    prepare: (query: string) => statement(db.prepare(query), query),
    batch: async (statements: D1PreparedStatement[]) => count(await db.batch(statements)),
  });
}

/** A view of `target` with some methods replaced; everything else is passed through. */
export function intercept<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (typeof prop === "string" && prop in overrides) return overrides[prop];
      const value = Reflect.get(t, prop, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}

function cellsOf(row: Record<string, unknown>, width: number): unknown[] {
  const cells = Object.values(row);
  // Cannot happen for a width `resultWidth` vouched for; a short row must never reach a caller.
  if (cells.length !== width) throw new Error(`metering: expected ${width} columns, D1 answered ${cells.length}`);
  return cells;
}

const END_OF_LIST = new Set(["from", "where", "group", "having", "window", "order", "limit", "union", "intersect", "except"]);

/**
 * How many columns the statement's result has, when its text says and their names are distinct and
 * none is a number (JavaScript orders such keys first): the RETURNING list, or the select list of
 * the main SELECT. Undefined otherwise.
 */
export function resultWidth(query: string): number | undefined {
  const { words, commas } = scan(query);
  const returning = words.findLast((w) => w.word === "returning");
  let start: number;
  let end = query.length;
  if (returning) start = returning.end;
  else {
    const select = words.findIndex((w) => w.word === "select");
    if (select < 0) return undefined;
    const modifier = words[select + 1]?.word === "distinct" || words[select + 1]?.word === "all";
    start = words[select + (modifier ? 1 : 0)]!.end;
    end = words.slice(select + 1).find((w) => END_OF_LIST.has(w.word))?.start ?? end;
  }
  const cuts = [start, ...commas.filter((c) => c > start && c < end), end];
  const names = cuts.slice(1).map((cut, i) => nameOf(query.slice(cuts[i]! + (i > 0 ? 1 : 0), cut)));
  if (names.some((n) => n === undefined || isNumber(n))) return undefined;
  return new Set(names).size === names.length ? names.length : undefined;
}

/** A name JavaScript would order before the others as an array index (conservatively: any all-digit name). */
const isNumber = (name: string) => name.length > 0 && [...name].every((ch) => ch >= "0" && ch <= "9");

const IDENTIFIER = String.raw`(?:"(?:[^"]|"")*"|\x60[^\x60]*\x60|\[[^\]]*\]|[A-Za-z_]\w*)`;
const ALIAS = new RegExp(String.raw`\bas\s+(${IDENTIFIER})$`, "i");
const COLUMN = new RegExp(String.raw`^(?:${IDENTIFIER}\.)*(${IDENTIFIER})$`);

/** The name SQLite gives a result column: its alias, a column's own name, or else the expression's text. */
function nameOf(item: string): string | undefined {
  const text = item.trim();
  if (text === "" || text === "*" || text.endsWith(".*")) return undefined;
  const quoted = quotedColumn(text);
  if (quoted !== undefined) return quoted;
  const named = ALIAS.exec(text) ?? COLUMN.exec(text);
  return named ? unquote(named[1]!) : text;
}

/** `"name"` or `"table"."name"`, as drizzle writes a column, without a regular expression (the common case). */
function quotedColumn(text: string): string | undefined {
  if (text.charCodeAt(text.length - 1) !== 34) return undefined;
  const open = text.lastIndexOf('"', text.length - 2);
  if (open === 0) return text.slice(1, -1);
  if (open < 3 || text[open - 1] !== "." || text[open - 2] !== '"' || text.indexOf('"', 1) !== open - 2 || text[0] !== '"') return undefined;
  return text.slice(open + 1, -1);
}

function unquote(identifier: string): string {
  const open = identifier[0];
  if (open === '"') return identifier.slice(1, -1).replaceAll('""', '"');
  if (open === "`" || open === "[") return identifier.slice(1, -1);
  return identifier;
}

/** The keywords `resultWidth` looks for (lowercased) and the commas of `query`, outside parentheses, quotes and comments. */
function scan(query: string) {
  const words: { word: string; start: number; end: number }[] = [];
  const commas: number[] = [];
  let depth = 0;
  let i = 0;
  while (i < query.length) {
    const code = query.charCodeAt(i);
    if (code === 39 || code === 34 || code === 96) i = closingQuote(query, i, query[i]!);
    else if (code === 91) i = indexAfter(query, "]", i);
    else if (code === 45 && query.charCodeAt(i + 1) === 45) i = indexAfter(query, "\n", i);
    else if (code === 47 && query.charCodeAt(i + 1) === 42) i = indexAfter(query, "*/", i);
    else if (isWordStart(code)) {
      let end = i + 1;
      while (end < query.length && isWordPart(query.charCodeAt(end))) end += 1;
      if (depth === 0 && end - i <= 9) {
        const word = query.slice(i, end).toLowerCase();
        if (KEYWORDS.has(word)) words.push({ word, start: i, end });
      }
      i = end;
    } else {
      if (code === 40) depth += 1;
      else if (code === 41) depth -= 1;
      else if (code === 44 && depth === 0) commas.push(i);
      i += 1;
    }
  }
  return { words, commas };
}

const KEYWORDS = new Set(["select", "returning", "distinct", "all", ...END_OF_LIST]);
const isWordStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWordPart = (c: number) => isWordStart(c) || (c >= 48 && c <= 57);

function closingQuote(query: string, open: number, quote: string): number {
  let i = open + 1;
  for (;;) {
    const close = query.indexOf(quote, i);
    if (close < 0) return query.length;
    if (query[close + 1] !== quote) return close + 1;
    i = close + 2;
  }
}

function indexAfter(query: string, token: string, from: number): number {
  const at = query.indexOf(token, from + 1);
  return at < 0 ? query.length : at + token.length;
}
