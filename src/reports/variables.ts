import { z } from "@hono/zod-openapi";
import { zodDetails } from "../errors";

export const VARIABLE_TYPES = ["string", "number", "integer", "boolean", "date", "array", "object"] as const;

export const VariableDeclarationSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a Liquid identifier: letters, digits and _, not starting with a digit"),
    type: z.enum(VARIABLE_TYPES).default("string"),
    required: z.boolean().default(false),
    default: z.unknown().optional(),
    description: z.string().max(500).optional(),
  })
  .openapi("TemplateVariable");
export type VariableDeclaration = z.output<typeof VariableDeclarationSchema>;

/** Names the renderer provides itself; a template cannot declare them. */
export const RESERVED_VARIABLES = ["data", "report", "now"] as const;

const valueSchemas: Record<VariableDeclaration["type"], z.ZodType> = {
  string: z.string(),
  number: z.number(),
  integer: z.number().int(),
  boolean: z.boolean(),
  date: z.iso.datetime({ offset: true }).or(z.iso.date()),
  array: z.array(z.unknown()),
  object: z.record(z.string(), z.unknown()),
};

export interface VariableIssue {
  path: string;
  message: string;
}

/** Problems with a list of declarations themselves: duplicates, reserved names, defaults of the wrong type. */
export function declarationIssues(declared: VariableDeclaration[]): VariableIssue[] {
  const issues: VariableIssue[] = [];
  const seen = new Set<string>();
  declared.forEach((d, i) => {
    if (seen.has(d.name)) issues.push({ path: `variables.${i}.name`, message: `"${d.name}" is declared twice` });
    seen.add(d.name);
    if ((RESERVED_VARIABLES as readonly string[]).includes(d.name)) {
      issues.push({ path: `variables.${i}.name`, message: `"${d.name}" is provided by the renderer and cannot be declared` });
    }
    if (d.default !== undefined && !valueSchemas[d.type].safeParse(d.default).success) {
      issues.push({ path: `variables.${i}.default`, message: `the default is not a valid ${d.type}` });
    }
  });
  return issues;
}

/**
 * Checks given values against the declarations and fills in defaults. Values for undeclared
 * names are refused: they are most often a misspelt variable.
 */
export function bindVariables(
  declared: VariableDeclaration[],
  given: Record<string, unknown>,
): { ok: true; values: Record<string, unknown> } | { ok: false; issues: VariableIssue[] } {
  const shape = Object.fromEntries(
    declared.map((d) => {
      const value = valueSchemas[d.type];
      const withDefault = d.default !== undefined ? value.default(d.default as never) : d.required ? value : value.optional();
      return [d.name, withDefault];
    }),
  );
  const parsed = z.strictObject(shape).safeParse(given);
  if (parsed.success) return { ok: true, values: parsed.data as Record<string, unknown> };
  return {
    ok: false,
    issues: zodDetails(parsed.error).map((d) => ({ path: d.path ? `variables.${d.path}` : "variables", message: d.message })),
  };
}
