import { z } from "@hono/zod-openapi";
import { DistinctCounter, type DistinctState, FrequentValues, type FrequentState } from "./sketches";

export const VALUE_KINDS = ["boolean", "integer", "number", "date", "datetime", "string", "object", "array"] as const;
type Kind = (typeof VALUE_KINDS)[number];

/** Columns profiled; a wider file's further columns are only noted (`columnsTruncated`), keeping the result small. */
export const MAX_COLUMNS = 200;
/** Characters of a value kept in the frequent values and samples. */
const MAX_SHOWN = 100;
/** JSON characters of sample rows kept in all. */
const MAX_SAMPLE_CHARS = 64 * 1024;

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** What a string looks like: the kind of a CSV cell, or of a JSON string (dates only: JSON has its own numbers). */
function kindOfText(text: string, fromText: boolean): Kind {
  const t = text.trim();
  if (fromText) {
    if (/^(true|false)$/i.test(t)) return "boolean";
    if (INTEGER.test(t)) return Number.isSafeInteger(Number(t)) ? "integer" : "number";
    if (NUMBER.test(t) && Number.isFinite(Number(t))) return "number";
  }
  if (DATE.test(t) && !Number.isNaN(Date.parse(t))) return "date";
  if (DATETIME.test(t) && !Number.isNaN(Date.parse(t.replace(" ", "T")))) return "datetime";
  return "string";
}

function kindOf(value: unknown, fromText: boolean): Kind {
  if (typeof value === "string") return kindOfText(value, fromText);
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return Array.isArray(value) ? "array" : "object";
}

/** A value as a key of the sketches: strings as they are, other values as JSON (so "1" and 1 differ). */
const keyOf = (value: unknown) => (typeof value === "string" ? `s${value}` : `j${JSON.stringify(value)}`);
const shown = (value: unknown) => (typeof value === "string" && value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
/** A long value is counted among the frequent ones by its first MAX_SHOWN characters (of its JSON, if not a string). */
const frequentKey = (key: string) => (key.length > MAX_SHOWN + 1 ? `s${key.slice(1, MAX_SHOWN + 1)}…` : key);
function valueOfKey(key: string): unknown {
  return key[0] === "s" ? key.slice(1) : JSON.parse(key.slice(1));
}

export interface ColumnState {
  name: string;
  kinds: Partial<Record<Kind, number>>;
  /** Whether every value came as text (CSV), so that any mix of kinds reads as strings. */
  fromText: boolean;
  present: number;
  numbers: { count: number; sum: number; min: number | null; max: number | null };
  distinct: DistinctState;
  frequent: FrequentState;
}

/** Everything a profile has seen so far: what one durable step hands the next. */
export interface ProfileState {
  rows: number;
  rejected: number;
  header?: string[];
  columns: ColumnState[];
  columnsTruncated: boolean;
  samples: Record<string, unknown>[];
  sampleChars: number;
}

export const emptyProfile = (): ProfileState => ({ rows: 0, rejected: 0, columns: [], columnsTruncated: false, samples: [], sampleChars: 0 });

export const ColumnProfileSchema = z.object({
  name: z.string(),
  type: z.enum(["null", "mixed", ...VALUE_KINDS]).describe("The type that holds every value: integers and numbers are numbers, dates and datetimes datetimes; a CSV column of mixed kinds is string."),
  kinds: z.record(z.string(), z.number().int()).describe("How many values looked like each kind."),
  nulls: z.number().int().describe("Rows without a value: an empty CSV cell, a JSON null or a missing key."),
  distinct: z.number().int().describe("Distinct values: exact while distinctExact, else a HyperLogLog estimate (about 1.6% standard error)."),
  distinctExact: z.boolean(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable().describe("Of the values that are numbers."),
  top: z.array(z.object({ value: z.unknown(), count: z.number().int() })).describe("The most frequent values, most first."),
  topExact: z.boolean().describe("False when the counts are lower bounds (Misra-Gries with 64 counters)."),
});

/** Adds records to a profile; `state` is updated in place. */
export class Profiler {
  private readonly byName = new Map<string, { state: ColumnState; distinct: DistinctCounter; frequent: FrequentValues }>();

  constructor(
    readonly state: ProfileState,
    private readonly maxSamples: number,
  ) {
    for (const column of state.columns) this.byName.set(column.name, this.open(column));
  }

  private open(state: ColumnState) {
    return { state, distinct: new DistinctCounter(state.distinct), frequent: new FrequentValues(state.frequent) };
  }

  private column(name: string) {
    let column = this.byName.get(name);
    if (column || this.state.columns.length >= MAX_COLUMNS) {
      if (!column) this.state.columnsTruncated = true;
      return column;
    }
    const state: ColumnState = { name, kinds: {}, fromText: true, present: 0, numbers: { count: 0, sum: 0, min: null, max: null }, distinct: { exact: [], registers: null }, frequent: { counters: [], exact: true } };
    this.state.columns.push(state);
    column = this.open(state);
    this.byName.set(name, column);
    return column;
  }

  /** Declares the CSV header's columns, so that a column with no value at all is still profiled. */
  header(columns: string[]) {
    this.state.header = columns;
    for (const name of columns) this.column(name);
  }

  add(record: Record<string, unknown>, fromText: boolean): void {
    this.state.rows += 1;
    for (const name in record) {
      const value = record[name];
      if (value === null || value === undefined || (fromText && value === "")) continue;
      const column = this.column(name);
      if (column) this.addValue(column, value, fromText);
    }
    if (this.state.samples.length < this.maxSamples) this.sample(record);
  }

  rejected(): void {
    this.state.rejected += 1;
  }

  private addValue(column: NonNullable<ReturnType<Profiler["column"]>>, value: unknown, fromText: boolean) {
    const { state } = column;
    const kind = kindOf(value, fromText);
    state.present += 1;
    state.kinds[kind] = (state.kinds[kind] ?? 0) + 1;
    if (!fromText) state.fromText = false;
    if (kind === "integer" || kind === "number") {
      const n = typeof value === "number" ? value : Number((value as string).trim());
      const numbers = state.numbers;
      numbers.count += 1;
      numbers.sum += n;
      numbers.min = numbers.min === null ? n : Math.min(numbers.min, n);
      numbers.max = numbers.max === null ? n : Math.max(numbers.max, n);
    }
    const key = keyOf(value);
    column.distinct.add(key);
    column.frequent.add(frequentKey(key));
  }

  private sample(record: Record<string, unknown>) {
    const kept = Object.fromEntries(Object.entries(record).map(([k, v]) => [k, shown(v)]));
    const chars = JSON.stringify(kept).length;
    if (this.state.sampleChars + chars > MAX_SAMPLE_CHARS) return;
    this.state.samples.push(kept);
    this.state.sampleChars += chars;
  }

  /** The sketches' state written back into `state`, to hand to the next step. */
  checkpoint(): ProfileState {
    for (const { state, distinct, frequent } of this.byName.values()) {
      state.distinct = distinct.state();
      state.frequent = frequent.state();
    }
    return this.state;
  }

  /** Each column's profile, with its `top` most frequent values. */
  columns(top: number): z.output<typeof ColumnProfileSchema>[] {
    return this.state.columns.map((c) => {
      const { distinct, frequent } = this.byName.get(c.name)!;
      const frequentTop = frequent.top(top);
      const { count, sum, min, max } = c.numbers;
      return {
        name: c.name,
        type: typeOf(c),
        kinds: c.kinds,
        nulls: this.state.rows - c.present,
        distinct: distinct.estimate(),
        distinctExact: distinct.isExact,
        min,
        max,
        mean: count === 0 ? null : sum / count,
        top: frequentTop.values.map(([key, n]) => ({ value: valueOfKey(key), count: n })),
        topExact: frequentTop.exact,
      };
    });
  }
}

/** The one type that holds all of a column's values. */
function typeOf(column: ColumnState): z.output<typeof ColumnProfileSchema>["type"] {
  const kinds = Object.keys(column.kinds) as Kind[];
  if (kinds.length === 0) return "null";
  if (kinds.length === 1) return kinds[0]!;
  if (kinds.every((k) => k === "integer" || k === "number")) return "number";
  if (kinds.every((k) => k === "date" || k === "datetime")) return "datetime";
  return column.fromText ? "string" : "mixed";
}
