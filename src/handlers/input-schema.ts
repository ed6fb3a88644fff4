import { z } from "@hono/zod-openapi";
import { type Schema, Validator } from "@cfworker/json-schema";

/** The largest input JSON Schema a handler may declare, as JSON text. */
export const MAX_INPUT_SCHEMA_BYTES = 64 * 1024;
const JSON_TYPES = new Set(["null", "boolean", "object", "array", "number", "string", "integer"]);
/** Keywords that only report that something beneath them failed: the deeper error says what. */
const CONTAINERS = new Set(["properties", "items", "prefixItems", "additionalProperties", "patternProperties", "$ref", "allOf", "dependentSchemas", "unevaluatedProperties"]);

export interface SchemaIssue {
  path: string;
  message: string;
}

/** Every `type` keyword of a schema names JSON types (a typo there would refuse every input). */
function typeIssues(node: unknown, at: string, issues: SchemaIssue[]) {
  if (Array.isArray(node)) node.forEach((item, i) => typeIssues(item, `${at}.${i}`, issues));
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "type" && (typeof value === "string" || Array.isArray(value))) {
      const bad = [value].flat().filter((t) => typeof t !== "string" || !JSON_TYPES.has(t));
      if (bad.length > 0) issues.push({ path: `${at}.type`, message: `not a JSON type: ${bad.map((t) => JSON.stringify(t)).join(", ")}` });
    } else if (key !== "const" && key !== "enum" && key !== "default" && key !== "examples") {
      typeIssues(value, `${at}.${key}`, issues);
    }
  }
}

/** What is wrong with a handler's input schema (at `at`, the request's field), if anything. */
export function inputSchemaIssues(schema: unknown, at = "inputSchema"): SchemaIssue[] {
  if (typeof schema !== "boolean" && (!schema || typeof schema !== "object" || Array.isArray(schema))) {
    return [{ path: at, message: "must be a JSON Schema: an object (or a boolean)" }];
  }
  if (JSON.stringify(schema).length > MAX_INPUT_SCHEMA_BYTES) return [{ path: at, message: `at most ${MAX_INPUT_SCHEMA_BYTES} bytes as JSON` }];
  const issues: SchemaIssue[] = [];
  typeIssues(schema, at, issues);
  if (issues.length > 0) return issues;
  try {
    // Unresolvable `$ref`s throw only once validation reaches them; trying the common inputs finds most.
    const validator = new Validator(schema as Schema, "2020-12", false);
    for (const sample of [{}, [], "", 0, null]) validator.validate(sample);
  } catch (err) {
    return [{ path: at, message: err instanceof Error ? err.message.split("\n")[0]! : String(err) }];
  }
  return [];
}

/** `#/a/0/b~1c` as a field path: `a.0.b/c`. */
function fieldPath(pointer: string): (string | number)[] {
  return pointer
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((part) => decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/**
 * The zod schema a handler's input is checked with at submit: its JSON Schema (draft 2020-12)
 * when it declares one, else any JSON object. Each failure is reported at the field it concerns.
 */
export function handlerInput(schemaText: string | null): z.ZodType {
  if (schemaText === null) return z.record(z.string(), z.unknown());
  const validator = new Validator(JSON.parse(schemaText) as Schema, "2020-12", false);
  return z.unknown().superRefine((value, ctx) => {
    const { valid, errors } = validator.validate(value);
    if (valid) return;
    const deeper = (location: string) => errors.some((e) => e.instanceLocation.startsWith(`${location}/`));
    for (const error of errors) {
      if (CONTAINERS.has(error.keyword) && deeper(error.instanceLocation)) continue;
      const message = error.keyword === "false" ? "is not allowed here" : error.error;
      ctx.addIssue({ code: "custom", path: fieldPath(error.instanceLocation), message });
    }
  });
}
