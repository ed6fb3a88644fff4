import fc from "fast-check";
import type { Schema } from "./openapi";
import { type ValueContext, deepNesting, hostileValue, hugeString, toJson, validValue } from "./values";

/** Text that is not JSON, or JSON of a shape no route takes as its body. */
const MALFORMED = ["", " ", "{", "}", "[", "nul", '{"a":}', "\ufeff{}", "{'a':1}", '{"a":1,}', "{}garbage", "1e999", '"\\ud800"', "NaN",
  "\u0000", '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":1}{"a":2}', "[]", "[{}]", '"text"', "123", "true", "null", "{\"__proto__\":{\"admin\":true}}"];

function truncated(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(text, fc.nat()).map(([t, n]) => (t.length > 1 ? t.slice(0, n % t.length) : t));
}

/** Just past the body limits routes declare today (1 MiB, 2 MiB), sent rarely: they cost the most. */
const OVER_LIMIT = fc.constantFrom(1_048_577, 2_097_153).map((size) => "o".repeat(size));

/** A valid-looking body padded with one huge field: the body-size limits' turn. */
function paddedBody(schema: Schema, ctx: ValueContext & { hugeMax: number }): fc.Arbitrary<string> {
  const padding = fc.oneof({ weight: 4, arbitrary: hugeString(ctx.hugeMax) }, { weight: 1, arbitrary: OVER_LIMIT });
  return fc.tuple(validValue(schema, ctx), padding, fc.constantFrom("pad", "content", "body", "input", "name")).map(([value, huge, field]) =>
    toJson(typeof value === "object" && value !== null && !Array.isArray(value) ? { ...value, [field]: huge } : { [field]: huge }));
}

/** Bodies for an operation that declares a JSON body (or none): mostly the schema broken a little. */
export function jsonBody(schema: Schema, ctx: ValueContext & { hugeMax: number }): fc.Arbitrary<string> {
  const mutated = hostileValue(schema, ctx, "", 0, ctx.hugeMax).map(toJson);
  return fc.oneof(
    { weight: 8, arbitrary: mutated },
    { weight: 4, arbitrary: validValue(schema, ctx).map(toJson) },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED) },
    { weight: 1, arbitrary: truncated(validValue(schema, ctx).map(toJson)) },
    { weight: 1, arbitrary: fc.oneof(deepNesting.map(toJson), fc.array(validValue(schema, ctx), { maxLength: 2 }).map(toJson)) },
    { weight: 1, arbitrary: paddedBody(schema, ctx) },
  );
}

const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const ZIP_END_OF_DIRECTORY = [0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)];

/** Bodies for byte routes (uploads, parts, archive import): empty, random, zip-looking, large. */
export function binaryBody(ctx: { hugeMax: number }): fc.Arbitrary<Uint8Array | string | undefined> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 2_048 }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }).map((rest) => Uint8Array.from([...ZIP_LOCAL_HEADER, ...rest])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((rest) => Uint8Array.from([...rest, ...ZIP_END_OF_DIRECTORY])) },
    { weight: 1, arbitrary: fc.integer({ min: 10_000, max: ctx.hugeMax }).map((n) => new Uint8Array(n).fill(0x41)) },
    { weight: 1, arbitrary: fc.constantFrom('{"type":"simulate"}', "id,name\n1,a\n", "\ufeff\u0000\ud800") },
  );
}
