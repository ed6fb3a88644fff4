import fc from "fast-check";
import type { FuzzKeys, IdPools } from "./fixtures";
import { poolKey } from "./fixtures";
import type { Operation, Parameter, Schema } from "./openapi";
import { binaryBody, jsonBody } from "./bodies";
import type { SignedCredentials } from "./signed";
import { EXTREME_NUMBERS, type ValueContext, base64UrlText, oddString, validValue } from "./values";

/** One generated request, printed in full (bodies shortened) when fast-check reports it. */
export interface FuzzRequest {
  method: string;
  /** Path and query, as sent after the origin. */
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Sent as a stream of chunks, without a Content-Length, as a chunked upload arrives. */
  streamed?: boolean;
}

export interface RequestContext extends ValueContext {
  keys: FuzzKeys;
  signed: SignedCredentials;
  pools: IdPools;
  /** The largest generated string or body, in characters. */
  hugeMax: number;
}

const shorten = (text: string) => (text.length > 300 ? `${JSON.stringify(text.slice(0, 300))}… (${text.length} chars in all)` : JSON.stringify(text));

export function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? "(none)"
    : typeof request.body === "string" ? shorten(request.body)
    : `${request.body.length} bytes ${shorten(new TextDecoder().decode(request.body.slice(0, 300)))}`;
  return `${request.method} ${request.url}\n  headers: ${JSON.stringify(request.headers)}\n  body${request.streamed ? " (streamed in chunks, no content-length)" : ""}: ${body}`;
}

export function withPrinting(request: FuzzRequest): FuzzRequest {
  return Object.defineProperty(request, fc.toStringMethod, { value: () => describeRequest(request), enumerable: false });
}

/** Percent-encodes anything, lone surrogates included (as the invalid UTF-8 a sloppy client sends). */
export function encodeAny(text: string): string {
  return Array.from(text, (ch) => {
    try {
      return encodeURIComponent(ch);
    } catch {
      return "%ED%A0%80";
    }
  }).join("");
}

/** A cursor is base64url JSON; these decode to the wrong shape, wrong types or numbers JSON.stringify never writes. */
const badCursor = fc.oneof(
  fc.constantFrom('{"id":1}', '{"id":"zzz"}', '{"i":1e999}', '{"v":-1}', '{"instant":1e400}', '{"k":null}', '{"failedAt":-1e999,"id":"x"}',
    '{"i":1.5}', '{"v":9007199254740993}', '{"id":"\\u0000"}', '{"k":"\\ud800"}', "[]", "null", '"x"', "{", '{"__proto__":{"id":"x"}}').map(base64UrlText),
  fc.constantFrom("", "!!!", "====", "a", "%", "eyJpZCI6", "eyJpZCI6Inh4In0", "eyJ".repeat(100)),
  fc.string({ maxLength: 40 }).map(base64UrlText),
  oddString,
);

const hostileScalar = fc.oneof(
  fc.constantFrom("", " ", "abc", "-1", "0", "1.5", "1e999", "9".repeat(30), "0x10", " 1", "NaN", "Infinity", "true", "null", "[]", "{}", "%", "%ZZ", "%00"),
  fc.constantFrom(...EXTREME_NUMBERS).map(String),
  oddString,
  fc.integer({ min: 2_000, max: 20_000 }).map((n) => "q".repeat(n)),
);

/** Cursors are never generated valid (only the API issues them): a cursor is left out or bad. */
const isCursor = (param: Parameter) => /cursor/i.test(param.name);

function validQueryValue(param: Parameter, ctx: RequestContext): fc.Arbitrary<string> {
  // A query value is text: a `null` in a parameter's type means "left out", not the word.
  const schema = { ...ctx.resolve(param.schema ?? {}) };
  if (Array.isArray(schema.type)) schema.type = schema.type.filter((t) => t !== "null");
  return validValue(schema, ctx, param.name).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
}

function hostileQueryValue(param: Parameter, ctx: RequestContext): fc.Arbitrary<string> {
  if (/token/i.test(param.name)) return fc.oneof(fc.constantFrom(...ctx.signed.watchTokens), badCursor, hostileScalar);
  return isCursor(param) ? fc.oneof(badCursor, hostileScalar) : hostileScalar;
}

/**
 * `name=value` pairs: each parameter left out, valid, broken or repeated, plus unknown ones.
 * About half the requests break no parameter, so the others reach the handler.
 */
function queryString(op: Operation, ctx: RequestContext): fc.Arbitrary<string> {
  const params = op.parameters.filter((p) => p.in === "query");
  const calm = 2 * params.length;
  const pairs = params.map((p) =>
    fc.oneof(
      { weight: isCursor(p) ? calm : p.required ? 1 : calm / 2, arbitrary: fc.constant<string[]>([]) },
      { weight: isCursor(p) ? 0 : calm, arbitrary: validQueryValue(p, ctx).map((v) => [v]) },
      { weight: 1, arbitrary: hostileQueryValue(p, ctx).map((v) => [v]) },
      { weight: 1, arbitrary: fc.array(fc.oneof(validQueryValue(p, ctx), hostileQueryValue(p, ctx)), { minLength: 2, maxLength: 3 }) },
    ).map((values) => values.map((v) => `${p.name}=${encodeAny(v)}`)));
  const extra = fc.oneof(
    { weight: 6, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("tenant", "limit", "x", "__proto__", "cursor", "%"), hostileScalar).map(([k, v]) => [`${k}=${encodeAny(v)}`]) },
    { weight: 1, arbitrary: fc.constantFrom("&", "&&=", "=x", "a=%ZZ", "a=%E0%A4%A", "a[b]=1", "a=1;b=2").map((tail) => [tail]) },
  );
  return fc.tuple(fc.tuple(...pairs), extra).map(([groups, extras]) => {
    const all = [...groups.flat(), ...extras];
    return all.length > 0 ? `?${all.join("&")}` : "";
  });
}

/** A path segment: a real id (encoded), a schema value, or something hostile left as it is. */
function pathValue(op: Operation, param: Parameter, ctx: RequestContext): fc.Arbitrary<string> {
  const segment = op.path.split("/")[3] ?? "";
  const known = ctx.pools.get(poolKey(segment, param.name)) ?? [];
  const real = known.length > 0 ? fc.constantFrom(...known) : validValue(param.schema ?? {}, ctx, param.name).map(String);
  const hostileRaw = fc.oneof(
    fc.constantFrom("a/b", "..", ".", "%2F", "%2e%2e", "%00", "%ZZ", "%", "%E0%A4%A", "%C0%AF", "-1", "0", "1e999", "9".repeat(30), "NaN", "%20",
      "__proto__", "constructor", "null", "undefined", "*", "%3Cscript%3E", "%F0%9F%A4%96", "%ED%A0%80", "x?y=1", "x#y"),
    real.map((id) => fc.constantFrom(`${id}/`, `${id}%2F..`, id.toUpperCase(), `${id}%00`, ` ${id}`, `${id}.json`)).chain((a) => a),
  );
  return fc.oneof(
    { weight: 7, arbitrary: real.map(encodeAny) },
    { weight: 2, arbitrary: validValue(param.schema ?? {}, ctx, param.name).map((v) => encodeAny(String(v))) },
    { weight: 2, arbitrary: hostileRaw },
    { weight: 1, arbitrary: oddString.map(encodeAny) },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 6_000 }).map((n) => "i".repeat(n)) },
  );
}

export function pathOf(op: Operation, ctx: RequestContext): fc.Arbitrary<string> {
  const params = op.parameters.filter((p) => p.in === "path");
  return fc.tuple(...params.map((p) => pathValue(op, p, ctx))).map((values) =>
    params.reduce((path, p, i) => path.replace(`{${p.name}}`, values[i]!), op.path));
}

export function authorization(keys: FuzzKeys, signed: SignedCredentials): fc.Arbitrary<string | undefined> {
  const garbage = fc.oneof(
    fc.constantFrom("Bearer", "Bearer ", "Bearer garbage", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer ek_live_x", `Bearer ${keys.full}x`,
      `Bearer ${keys.full.slice(0, -2)}`, `bearer ${keys.full}`, `Bearer  ${keys.full}  `, `Bearer ${keys.full} ${keys.full}`, "Bearer %00"),
    fc.integer({ min: 1_000, max: 12_000 }).map((n) => `Bearer ${"k".repeat(n)}`),
    fc.string({ unit: "grapheme-ascii", maxLength: 60 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, "")}`),
  );
  return fc.oneof(
    { weight: 24, arbitrary: fc.constant(`Bearer ${keys.full}`) },
    { weight: 2, arbitrary: fc.constant(`Bearer ${keys.readOnly}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${keys.revoked}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${keys.platformAdmin}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: garbage },
    { weight: 2, arbitrary: fc.constantFrom(...signed.apiKeys).map((key) => `Bearer ${key}`) },
  );
}

const WRONG_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
  "application/xml", "application/json, text/plain", "application/*", "APPLICATION/JSON", "application/json;;", "application/zip", "", "*/*"];

function contentType(op: Operation): fc.Arbitrary<string | undefined> {
  const declared = Object.keys(op.bodies);
  return fc.oneof(
    { weight: 16, arbitrary: declared.length > 0 ? fc.constantFrom(...declared) : fc.constant("application/json") },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(...WRONG_TYPES) },
  );
}

/** Headers beyond auth and content type that some routes read. */
const extraHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constantFrom("bytes=0-1", "bytes=abc", "bytes=-5", "bytes=5-2", "bytes=99999999999999999999-", "items=0-1", "bytes=0-1,3-4", "bytes=", "bytes=-0").map((range) => ({ range })) },
  { weight: 1, arbitrary: fc.constantFrom("*", '"x"', "W/\"1\"", "garbage", '""').map((tag) => ({ "if-none-match": tag })) },
  { weight: 1, arbitrary: fc.constantFrom("cf-ray", "x-forwarded-for", "origin", "accept").map((name) => ({ [name]: "fuzz" })) },
  { weight: 1, arbitrary: fc.constantFrom("text/event-stream", "application/json", "*/*").map((accept) => ({ accept })) },
);

/** Every request the fuzzer may send for `op`. */
export function requestsFor(op: Operation, ctx: RequestContext): fc.Arbitrary<FuzzRequest> {
  const takesBody = !["GET", "HEAD"].includes(op.method);
  const [declaredType, schema] = Object.entries(op.bodies)[0] ?? [undefined, undefined];
  const isJson = declaredType === undefined || declaredType.includes("json");
  const body: fc.Arbitrary<string | Uint8Array | undefined> = !takesBody ? fc.constant(undefined)
    : schema === undefined ? fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: jsonBody({} as Schema, ctx) })
    : isJson ? fc.oneof({ weight: 12, arbitrary: jsonBody(schema, ctx) }, { weight: 1, arbitrary: fc.constant(undefined) })
    : binaryBody(ctx);
  const streamed = fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  return fc.record({ path: pathOf(op, ctx), query: queryString(op, ctx), auth: authorization(ctx.keys, ctx.signed), type: contentType(op), extra: extraHeaders, body, streamed })
    .map(({ path, query, auth, type, extra, body, streamed }) => {
      const headers: Record<string, string> = { ...extra };
      if (auth !== undefined) headers.authorization = auth;
      if (body !== undefined && type !== undefined) headers["content-type"] = type;
      return withPrinting({ method: op.method, url: `${path}${query}`, headers, body, streamed: body !== undefined && streamed });
    });
}
