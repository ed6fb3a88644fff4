import { z } from "@hono/zod-openapi";

export const FIELD_TYPES = ["string", "number", "integer", "boolean", "date", "email"] as const;

export const FieldSchema = z
  .object({
    name: z.string().min(1).max(100),
    type: z.enum(FIELD_TYPES).default("string"),
    required: z.boolean().default(false),
  })
  .openapi("DatasetField");
export type Field = z.output<typeof FieldSchema>;

export const DatasetSchemaSchema = z
  .object({
    fields: z.array(FieldSchema).min(1).max(200),
    key: z.string().min(1).max(100).optional().describe("A field whose value identifies a row: importing it again updates the row."),
  })
  .refine((s) => new Set(s.fields.map((f) => f.name)).size === s.fields.length, { message: "a field is declared twice", path: ["fields"] })
  .refine((s) => !s.key || s.fields.some((f) => f.name === s.key && f.required), {
    message: "the key must be one of the fields, declared required",
    path: ["key"],
  })
  .openapi("DatasetSchema");
export type DatasetSchema = z.output<typeof DatasetSchemaSchema>;

/** CSV gives text: numbers and booleans are read from it; NDJSON values are taken as they are. */
const fromText = <T extends z.ZodType>(schema: T, parse: (text: string) => unknown) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() !== "" ? parse(v.trim()) : v), schema);

export const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, "1": true, "0": false };

export const valueSchemas: Record<Field["type"], z.ZodType> = {
  string: z.string(),
  number: fromText(z.number(), Number),
  integer: fromText(z.number().int(), Number),
  boolean: fromText(z.boolean(), (t) => BOOLEAN_WORDS[t.toLowerCase()] ?? t),
  date: z.iso.datetime({ offset: true }).or(z.iso.date()),
  email: z.email(),
};

/** A row validator: declared fields only (others are dropped), empty CSV cells count as missing. */
export function rowValidator(schema: DatasetSchema) {
  const shape = Object.fromEntries(
    schema.fields.map((f) => {
      const value = z.preprocess((v) => (v === "" || v === null ? undefined : v), f.required ? valueSchemas[f.type] : valueSchemas[f.type].optional());
      return [f.name, value];
    }),
  );
  return z.object(shape);
}
