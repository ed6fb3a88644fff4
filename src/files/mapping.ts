import { z } from "@hono/zod-openapi";
import type { FieldProblem } from "../datasets/encode";
import { FIELD_TYPES, valueSchemas } from "../datasets/fields";
import { zodDetails } from "../errors";
import { Expressions, expressionIssue } from "./expressions";

const MappedFieldObject = z
  .object({
    name: z.string().min(1).max(100).describe("The output field."),
    from: z.string().min(1).max(100).optional().describe("The source column or key it is read from (a rename); default: its name."),
    expr: z
      .string()
      .min(1)
      .max(2_000)
      .optional()
      .describe("Computed instead, by a Liquid expression over `row` (the source record) and `rowNumber`: `row.price | times: row.quantity`."),
    type: z.enum(FIELD_TYPES).optional().describe("Cast to this type (as bulk.import reads it); a value that cannot be is a bad row. Default: as read."),
    default: z.union([z.string(), z.number(), z.boolean()]).optional().describe("Taken when the value is missing, null or empty."),
    required: z.boolean().default(false).describe("A row with no value (after the default) is a bad row."),
  })
  .strict()
  .superRefine((field, issues) => {
    if (field.from !== undefined && field.expr !== undefined) issues.addIssue({ code: "custom", path: ["expr"], message: "give from or expr, not both" });
    const problem = field.expr === undefined ? null : expressionIssue(field.expr);
    if (problem) issues.addIssue({ code: "custom", path: ["expr"], message: `the Liquid expression does not parse: ${problem}` });
    const cast = field.default === undefined ? null : castTo(field.default, field.type);
    if (cast && "problem" in cast) issues.addIssue({ code: "custom", path: ["default"], message: `the default is not of type ${field.type}: ${cast.problem}` });
  });

type BranchIssues = { path: PropertyKey[]; message: string }[][];

/** A field is an object, or the name of a source column taken as it is; a bad one is told by the branch its input is for. */
export const MappedFieldSchema = z.union([z.string().min(1).max(100), MappedFieldObject], {
  error: (issue) => {
    const first = (issue as { errors?: BranchIssues }).errors?.[typeof issue.input === "string" ? 0 : 1]?.[0];
    if (!first) return undefined;
    return first.path.length > 0 ? `${first.path.join(".")}: ${first.message}` : first.message;
  },
});
type MappedField = z.output<typeof MappedFieldObject>;

export const MappingSchema = z
  .object({
    fields: z.array(MappedFieldSchema).min(1).max(200).describe("The output fields, in order: only these are written (a selection)."),
  })
  .strict()
  .refine((m) => new Set(m.fields.map(nameOf)).size === m.fields.length, { message: "an output field is named twice", path: ["fields"] })
  .describe("What each output row is made of: source columns selected, renamed, cast and defaulted, and fields computed by Liquid expressions.");
export type Mapping = z.output<typeof MappingSchema>;

const nameOf = (field: string | { name: string }) => (typeof field === "string" ? field : field.name);
const normalized = (field: string | MappedField): MappedField => (typeof field === "string" ? { name: field, required: false } : field);
const isEmpty = (value: unknown) => value === undefined || value === null || value === "";

/** A value as `type`, as bulk.import reads it (src/datasets/fields.ts); strings also from numbers, booleans and JSON. */
function castTo(value: unknown, type: MappedField["type"]): { value: unknown } | { problem: string } {
  if (type === undefined) return { value };
  if (type === "string") return { value: typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value) };
  const parsed = valueSchemas[type].safeParse(value);
  return parsed.success ? { value: parsed.data } : { problem: zodDetails(parsed.error)[0]?.message ?? `not a ${type}` };
}

/** The outcome of mapping one record: its output values in field order, or what is wrong with it. */
export type Mapped = { values: unknown[] } | { problems: FieldProblem[] };

/** A mapping ready to apply, its expressions parsed once. */
export class Mapper {
  readonly fields: MappedField[];
  readonly names: string[];
  private readonly expressions: Expressions;
  /** For each field, the index of its expression, or -1 when it is read from a column. */
  private readonly expressionAt: number[];

  constructor(mapping: Mapping) {
    this.fields = mapping.fields.map(normalized);
    this.names = this.fields.map((f) => f.name);
    const texts: string[] = [];
    this.expressionAt = this.fields.map((f) => (f.expr === undefined ? -1 : texts.push(f.expr) - 1));
    this.expressions = new Expressions(texts);
  }

  /** The source columns that fields without a default read and a CSV header lacks: a mistake in the mapping, not in a row. */
  missingColumns(header: string[]): string[] {
    const columns = new Set(header);
    return this.fields.filter((f) => f.expr === undefined && f.default === undefined && !columns.has(f.from ?? f.name)).map((f) => f.from ?? f.name);
  }

  apply(record: Record<string, unknown>, rowNumber: number): Mapped {
    const values: unknown[] = [];
    const problems: FieldProblem[] = [];
    let scope: Record<string, unknown> | undefined;
    this.fields.forEach((field, i) => {
      let value: unknown;
      const at = this.expressionAt[i]!;
      if (at < 0) value = Object.hasOwn(record, field.from ?? field.name) ? record[field.from ?? field.name] : undefined;
      else {
        scope ??= { row: record, rowNumber };
        try {
          value = this.expressions.evaluate(at, scope);
        } catch (err) {
          problems.push({ field: field.name, message: `the expression failed: ${(err as Error).message.replace(/, line:\d+, col:\d+$/, "")}` });
          return;
        }
      }
      if (isEmpty(value) && field.default !== undefined) value = field.default;
      if (isEmpty(value)) {
        if (field.required) problems.push({ field: field.name, message: "a value is required" });
        values.push(null);
        return;
      }
      const cast = castTo(value, field.type);
      if ("problem" in cast) problems.push({ field: field.name, message: cast.problem });
      else values.push(cast.value);
    });
    return problems.length > 0 ? { problems } : { values };
  }
}
