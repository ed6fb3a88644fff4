import { z } from "@hono/zod-openapi";
import { zodDetails } from "../errors";
import { BOOLEAN_WORDS, type DatasetSchema, type Field, rowValidator, valueSchemas } from "./fields";

/** A problem with one field of a row ("" for the row as a whole). */
export interface FieldProblem {
  field: string;
  message: string;
}

const INVALID = Symbol("invalid");
type Value = string | number | boolean;
/** A present value (not empty, not null) read as its field's type, or INVALID. */
type Reader = (raw: unknown) => Value | typeof INVALID;

const EMAIL = z.regexes.email;

/** CSV gives text: a number is read from its trimmed text (whitespace alone is not a number). */
function numberOf(raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  const text = raw.trim();
  return text === "" ? raw : Number(text);
}

function dateOf(raw: unknown): Value | typeof INVALID {
  const parsed = valueSchemas.date.safeParse(raw);
  return parsed.success ? (parsed.data as string) : INVALID;
}

/** What `rowValidator` accepts for each type, checked without zod. */
const readers: Record<Field["type"], Reader> = {
  string: (raw) => (typeof raw === "string" ? raw : INVALID),
  number: (raw) => {
    const n = numberOf(raw);
    return typeof n === "number" && Number.isFinite(n) ? n : INVALID;
  },
  integer: (raw) => {
    const n = numberOf(raw);
    return typeof n === "number" && Number.isSafeInteger(n) ? n : INVALID;
  },
  boolean: (raw) => {
    if (typeof raw === "boolean") return raw;
    if (typeof raw !== "string") return INVALID;
    const word = raw.trim().toLowerCase();
    return Object.hasOwn(BOOLEAN_WORDS, word) ? BOOLEAN_WORDS[word]! : INVALID;
  },
  email: (raw) => (typeof raw === "string" && EMAIL.test(raw) ? raw : INVALID),
  date: dateOf,
};

/** Text that stands as it is in a JSON string (no quote, backslash, control character or lone surrogate). */
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** JSON text of a string, without JSON.stringify for the common string that needs no escape. */
const jsonString = (text: string) => (PLAIN.test(text) ? `"${text}"` : JSON.stringify(text));
const jsonOf = (value: Value) => (typeof value === "string" ? jsonString(value) : String(value));

/**
 * Where the upsert (src/datasets/rows.ts) takes each row's key from. Read by SQL from the data
 * (`data`: a JSON path) or made from the row's place in the file (`row`: the prefix, then the row
 * number in 12 digits), the element the upsert reads for a row is its data alone; otherwise
 * (`element`) it is `[key,data]`. SQL reads a key from the data only for fields whose values
 * read as SQL text are the key (integers, strings), and whose names a path can say plainly.
 */
export type KeySource = { from: "element" } | { from: "data"; path: string } | { from: "row"; prefix: string };

function keySourceOf(schema: DatasetSchema, keyPrefix: string): KeySource {
  if (schema.key === undefined) return { from: "row", prefix: `${keyPrefix}:` };
  const type = schema.fields.find((f) => f.name === schema.key)?.type;
  const plainType = type === "integer" || type === "string" || type === "email" || type === "date";
  return plainType && /^[A-Za-z0-9_ -]+$/.test(schema.key) ? { from: "data", path: `$."${schema.key}"` } : { from: "element" };
}

/**
 * Validates rows as `rowValidator` does (declared fields only, in their order; empty cells and
 * nulls are missing) and writes each as the element the upsert reads at once, without an object
 * or a zod parse per row: a row's raw values go into `values` (one slot per declared field, reused
 * from row to row). A row this refuses goes to zod (`check`), whose answer decides: its problems,
 * or its data after all.
 */
export class RowEncoder {
  /** The row being encoded: its raw value for each declared field, in declaration order. */
  readonly values: unknown[];
  /** The declared fields' names, in declaration order. */
  readonly fieldNames: string[];
  readonly keySource: KeySource;
  private readonly fields: { name: string; prefix: string; read: Reader; required: boolean }[];
  private readonly keyField: number;
  private readonly validator: ReturnType<typeof rowValidator>;

  /** `keyPrefix` names the rows of a dataset without a key field, by their place in the file. */
  constructor(
    private readonly schema: DatasetSchema,
    keyPrefix: string,
  ) {
    this.fields = schema.fields.map((f) => ({ name: f.name, prefix: `${JSON.stringify(f.name)}:`, read: readers[f.type], required: f.required }));
    this.keySource = keySourceOf(schema, keyPrefix);
    // Only a key written in the element is needed here.
    this.keyField = this.keySource.from === "element" ? schema.fields.findIndex((f) => f.name === schema.key) : -1;
    this.fieldNames = schema.fields.map((f) => f.name);
    this.values = new Array(schema.fields.length);
    this.validator = rowValidator(schema);
  }

  /** The element for `values`, or null when `check` must decide. */
  encode(): string | null {
    let data = "";
    let key = "";
    for (let f = 0; f < this.fields.length; f++) {
      const field = this.fields[f]!;
      const raw = this.values[f];
      if (raw === "" || raw === null || raw === undefined) {
        if (field.required) return null;
        continue;
      }
      const value = field.read(raw);
      if (value === INVALID) return null;
      data += `${data === "" ? "" : ","}${field.prefix}${jsonOf(value)}`;
      if (f === this.keyField) key = String(value);
    }
    return this.keySource.from === "element" ? `[${jsonString(key)},{${data}}]` : `{${data}}`;
  }

  /** zod's answer for a row `encode` refused, given as zod reads it (the whole record by name): its element, or its problems. */
  check(record: unknown): string | FieldProblem[] {
    const parsed = this.validator.safeParse(record);
    if (!parsed.success) return zodDetails(parsed.error).map((d) => ({ field: d.path, message: d.message }));
    const data = parsed.data as Record<string, unknown>;
    return this.keySource.from === "element" ? `[${JSON.stringify(String(data[this.schema.key!]))},${JSON.stringify(data)}]` : JSON.stringify(data);
  }
}
