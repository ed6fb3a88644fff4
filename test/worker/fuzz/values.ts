import fc from "fast-check";
import type { Schema } from "./openapi";

/** What value generation needs besides the schema: `$ref` resolution and real ids. */
export interface ValueContext {
  resolve: (schema: Schema) => Schema;
  knownIds: string[];
  /** The fuzzing tenant, for fields and parameters named `tenant`. */
  tenant: string;
}

/** base64url of the UTF-8 of `text`, as cursors, keys and watch tokens carry their JSON. */
export const base64UrlText = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Characters that trip parsers, databases, renderers and logs. A lone surrogate is JSON-escaped. */
const ODD = ["\u0000", "\u200f", "\u202e", "\ud800", "\udfff", "\ufeff", "\uffff", "\u2028", "e\u0301", "👩‍👩‍👧", "🤖",
  "\\", '"', "'", "%00", "%", "../", "<script>", "${x}", "{{x}}", "{%", "%}", "\r\n", "\t", "İ", "\u0085", "\ud83e", "'; DROP TABLE jobs;--"];

export const oddString = fc.array(fc.oneof(fc.constantFrom(...ODD), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 10 })
  .map((parts) => parts.join(""));

/** Up to `max` characters (a few hundred KB): the shrinker halves the size, so reports stay short. */
export const hugeString = (max: number) =>
  fc.record({ size: fc.integer({ min: 1_000, max }), fill: fc.constantFrom("a", "é", "🤖", "\u0000", " ", "{{ x }}", "\ud800") })
    .map(({ size, fill }) => fill.repeat(Math.ceil(size / fill.length)));

export const EXTREME_NUMBERS = [-1, 0, -0, 0.5, 1.5, -(2 ** 31), 2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 63),
  1e21, 1e308, -1e308, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER];

/**
 * JSON text no `JSON.stringify` writes (1e999 parses to Infinity; numbers longer than a double;
 * nesting deeper than SQLite's JSON functions take). Marked in a value as a string, unmarked by `toJson`.
 */
const RAW_MARK = "\u0001raw:";
const raw = (text: string) => `${RAW_MARK}${text}\u0001`;
export const rawNumber = fc.constantFrom("1e999", "-1e999", "1E400", "0.0000000000000000000000000000001", `1${"0".repeat(400)}`, "-0.0", "123456789012345678901234567890")
  .map(raw);
export const deepNesting = fc.record({
  depth: fc.oneof(fc.constantFrom(500, 1_000, 2_500, 5_000, 20_000), fc.integer({ min: 2, max: 5_000 })),
  kind: fc.constantFrom("[]", "{}"),
})
  .map(({ depth, kind }) => raw(kind === "[]" ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`));

/** `{"$secret": name}` stands for a stored secret in job input; these name none, or not as a string. */
const secretReference = fc.oneof(oddString, fc.constantFrom("missing", "", "a".repeat(300)), fc.constantFrom(1, null, [], {}, true))
  .map((name) => ({ $secret: name }));

/** JSON text of a generated value, with the raw tokens put back. */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value) ?? "null";
  return text.replace(/"\\u0001raw:((?:[^"\\]|\\.)*?)\\u0001"/g, (_all, token: string) => token.replace(/\\"/g, '"'));
}

const anyJson = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}),
  fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }));

const EXTRA_KEYS = ["__proto__", "constructor", "prototype", "toString", "", "tenant", "id", "status", "$secret", "extra"];

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  if (schema.properties) return ["object"];
  return [];
}

function merged(schema: Schema, ctx: ValueContext): Schema {
  if (!schema.allOf) return ctx.resolve(schema);
  return schema.allOf.map((part) => merged(part, ctx)).reduce((all, part) => ({
    ...all, ...part,
    properties: { ...all.properties, ...part.properties },
    required: [...(all.required ?? []), ...(part.required ?? [])],
  }), { ...schema, allOf: undefined } as Schema);
}

function validString(schema: Schema, ctx: ValueContext, name: string): fc.Arbitrary<string> {
  if (schema.format === "date-time") {
    return fc.date({ min: new Date("2020-01-01"), max: new Date("2030-01-01"), noInvalidDate: true }).map((d) => d.toISOString());
  }
  const options: fc.Arbitrary<string>[] = [];
  if (schema.pattern) options.push(fc.stringMatching(new RegExp(schema.pattern)));
  else {
    const minLength = schema.minLength ?? 0;
    options.push(fc.string({ minLength, maxLength: Math.min(schema.maxLength ?? minLength + 12, minLength + 12) }));
  }
  if (typeof schema.example === "string") options.push(fc.constant(schema.example));
  if (/id$/i.test(name) && ctx.knownIds.length > 0) options.push(fc.constantFrom(...ctx.knownIds));
  if (name === "tenant") options.push(fc.constant(ctx.tenant));
  return fc.oneof(...options);
}

function validNumber(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1_000);
  const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : Math.max(min, 0) + 1_000);
  const inRange = fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const edges = fc.constantFrom(min, max, ...(typeof schema.default === "number" ? [schema.default] : []));
  const value = fc.oneof(edges, inRange);
  return integer ? value.map((n) => Math.min(max, Math.max(min, Math.round(n)))) : value;
}

/** Values the schema accepts (as far as a JSON Schema tells; refinements may still refuse them). */
export function validValue(input: Schema, ctx: ValueContext, name = "", depth = 0): fc.Arbitrary<unknown> {
  const schema = merged(input, ctx);
  if (depth > 6) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => validValue(s, ctx, name, depth + 1)));
  const types = typesOf(schema);
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...schema, type }, ctx, name, depth)));
  switch (types[0]) {
    case "string": return validString(schema, ctx, name);
    case "integer": return validNumber(schema, true);
    case "number": return validNumber(schema, false);
    case "boolean": return fc.boolean();
    case "null": return fc.constant(null);
    case "array": {
      const minLength = schema.minItems ?? 0;
      return fc.array(validValue(schema.items ?? {}, ctx, name.replace(/s$/, ""), depth + 1),
        { minLength, maxLength: Math.min(schema.maxItems ?? minLength + 3, minLength + 3) });
    }
    case "object": return objectOf(schema, ctx, depth, (s, key) => validValue(s, ctx, key, depth + 1), schema.required ?? []);
    default:
      return schema.example !== undefined ? fc.oneof(fc.constant(schema.example), fc.jsonValue({ maxDepth: 2 })) : fc.jsonValue({ maxDepth: 2 });
  }
}

const ABSENT = Symbol("absent");

/**
 * Objects with every required key and each optional one a third of the time: optional fields
 * often exclude each other (`runAt` or `delayMs`), so fewer of them get more bodies accepted.
 * Free JSON fields (job input) are the payload, so they are there two times in three.
 */
function objectOf(schema: Schema, ctx: ValueContext, depth: number, value: (s: Schema, key: string) => fc.Arbitrary<unknown>, requiredKeys: string[]) {
  const properties = schema.properties ?? {};
  const extra = schema.additionalProperties;
  if (typeof extra === "object" && Object.keys(properties).length === 0) {
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), validValue(extra, ctx, "", depth + 1), { maxKeys: 3 });
  }
  const entries = Object.entries(properties).map(([key, s]) =>
    requiredKeys.includes(key) ? value(s, key)
      : fc.oneof({ weight: isFree(merged(s, ctx)) ? 1 : 2, arbitrary: fc.constant(ABSENT) }, { weight: isFree(merged(s, ctx)) ? 2 : 1, arbitrary: value(s, key) }));
  return fc.tuple(...entries).map((values) =>
    Object.fromEntries(Object.keys(properties).map((key, i) => [key, values[i]]).filter(([, v]) => v !== ABSENT)));
}

const isFree = (schema: Schema) => typesOf(schema).length === 0 && !schema.enum && !schema.anyOf && !schema.oneOf && schema.const === undefined;

/** Own properties even for `__proto__`, so the key reaches the JSON text. */
function withExtras(base: Record<string, unknown>, extras: [string, unknown][]): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of extras) Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
  return out;
}

/** Values near what the schema accepts, broken in one of many ways; mostly valid below the top. */
export function hostileValue(input: Schema, ctx: ValueContext, name = "", depth = 0, hugeMax = 200_000): fc.Arbitrary<unknown> {
  const schema = merged(input, ctx);
  const types = typesOf(schema);
  // About one field in two bodies is broken, so many bodies get past validation.
  const calm = 2 * Math.max(1, Object.keys(schema.properties ?? {}).length);
  // Free JSON fields (job input, template data) carry what no schema checks: broken far more often.
  const child = (s: Schema, key: string) => fc.oneof(
    { weight: calm, arbitrary: validValue(s, ctx, key, depth + 1) },
    { weight: isFree(merged(s, ctx)) ? calm : 1, arbitrary: depth < 3 ? hostileValue(s, ctx, key, depth + 1, hugeMax) : anyJson },
  );
  const structural: fc.Arbitrary<unknown>[] = [];
  if (types.includes("object") && depth < 4) {
    structural.push(fc.tuple(
      fc.oneof(
        { weight: 3, arbitrary: objectOf(schema, ctx, depth, child, schema.required ?? []) },
        { weight: 1, arbitrary: objectOf(schema, ctx, depth, child, []) },
      ),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant<[string, unknown][]>([]) },
        { weight: 1, arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...EXTRA_KEYS), oddString), anyJson), { minLength: 1, maxLength: 2 }) },
      ),
    ).map(([base, extras]) => (typeof base === "object" && base !== null ? withExtras(base as Record<string, unknown>, extras) : base)));
  }
  if (types.includes("array") && depth < 4) {
    structural.push(fc.array(child(schema.items ?? {}, name), { maxLength: 4 }));
    const tooMany = (schema.maxItems ?? 5) + 1;
    if (tooMany <= 1_001) structural.push(fc.array(anyJson, { minLength: tooMany, maxLength: tooMany }));
  }
  const lengthEdges = [schema.maxLength, schema.minLength].filter((n): n is number => n !== undefined && n < 300_000)
    .map((n) => fc.constantFrom(n + 1, Math.max(0, n - 1)).map((len) => "x".repeat(len)));
  const free = isFree(schema);
  const options = [
    { weight: structural.length > 0 ? 12 : 0, arbitrary: structural.length > 0 ? fc.oneof(...structural) : anyJson },
    { weight: 1, arbitrary: anyJson },
    { weight: 2, arbitrary: oddString },
    { weight: free ? 2 : 1, arbitrary: fc.constantFrom(...EXTREME_NUMBERS) },
    { weight: free ? 2 : 1, arbitrary: rawNumber },
    { weight: 1, arbitrary: fc.constantFrom(null, "", " ", "null", "true", "0", "-1", [], {}, [{}]) },
    { weight: lengthEdges.length > 0 ? 1 : 0, arbitrary: lengthEdges.length > 0 ? fc.oneof(...lengthEdges) : anyJson },
    { weight: depth === 0 ? 0 : free ? 2 : 1, arbitrary: hugeString(hugeMax) },
    // Free JSON (job input, template data) is where nesting and secret references go unchecked.
    { weight: free ? 4 : 1, arbitrary: deepNesting },
    { weight: free ? 2 : 0, arbitrary: secretReference },
  ];
  return fc.oneof(...options.filter((o) => o.weight > 0));
}
