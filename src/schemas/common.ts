import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../errors";

export const ErrorCodeSchema = z.enum(ERROR_CODES).openapi("ErrorCode", { example: "validation_failed" });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string().optional(),
    }),
  })
  .openapi("Error");

export const IsoTimestamp = z.iso.datetime().openapi({ example: "2026-11-22T10:00:00.000Z" });

/** A tenant's name, as API keys carry it. */
export const TenantName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "lowercase letters, digits, - and _, at most 63");

export const IdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
});

type HeaderObject = { description: string; required?: boolean; schema: { type: "string" | "integer" } };

/** The IETF RateLimit fields of the tightest rule that applies (src/engine/rate-limits.ts `rateLimitHeaders`); absent when none does. */
const rateLimitHeaders: Record<string, HeaderObject> = {
  "RateLimit-Policy": header("`<limit>;w=<window seconds>` of the rule shown", { required: false }),
  "RateLimit-Limit": header("Requests the rule allows per window", { type: "integer", required: false }),
  "RateLimit-Remaining": header("Requests left in the current window", { type: "integer", required: false }),
  "RateLimit-Reset": header("Seconds until the window frees room", { type: "integer", required: false }),
};

/**
 * A route's own error responses (404 where it looks an id up, 409, 422, ...); what every route can
 * answer (400, 401, 403, 500, 503) is added to the document by src/api/openapi.ts.
 */
export function errorResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    403: "The key lacks the scope this route needs, or a tenant quota refused the request",
    404: "Not found",
    409: "Conflicts with the resource's state",
    411: "No Content-Length: a streamed body must say its length",
    413: "Body too large",
    416: "The range asked for is not in the content",
    422: "Well-formed but not acceptable",
    426: "Neither a websocket upgrade nor `Accept: text/event-stream`",
    429: "A rate limit refused the request (see Retry-After)",
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? "Error",
        content: { "application/json": { schema: ErrorSchema } },
        ...(status === 429 ? { headers: { ...rateLimitHeaders, "Retry-After": header("Seconds until the request may be made again", { type: "integer" }) } } : {}),
      },
    ]),
  );
}

/** The page query of a list: at most `limit` items after an opaque cursor. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(300).optional(),
});

export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable(),
    })
    .openapi(name);
}

/** A required JSON request body validated by `schema`. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/**
 * `schema` or null. `.nullable()` on a named schema renders as `allOf: [{$ref}, {type: [..., "null"]}]`,
 * which no null satisfies (the `$ref` rejects it); a union renders as `anyOf: [{$ref}, {type: "null"}]`.
 */
export function nullable<T extends z.ZodType>(schema: T) {
  return z.union([schema, z.null()]);
}

/** A raw response: each media type with a string schema (`format: binary` for bytes; `json` is any JSON). */
export function rawContent(description: string, mediaTypes: Record<string, "text" | "binary" | "json">) {
  const content = Object.fromEntries(
    Object.entries(mediaTypes).map(([type, kind]) => [
      type,
      { schema: kind === "json" ? z.unknown() : kind === "binary" ? z.string().openapi({ format: "binary" }) : z.string() },
    ]),
  );
  return { description, content };
}

/** A response header the route sets (`required: false` where it only sometimes does). */
export function header(description: string, options: { type?: "string" | "integer"; required?: boolean } = {}): HeaderObject {
  return { description, required: options.required ?? true, schema: { type: options.type ?? "string" } };
}

export function withHeaders<T extends { description: string; headers?: Record<string, HeaderObject> }>(response: T, headers: Record<string, HeaderObject>) {
  return { ...response, headers: { ...response.headers, ...headers } };
}

/** A response with its `Location` header: where the created resource (or job) is read. */
export function withLocation<T extends { description: string; headers?: Record<string, HeaderObject> }>(response: T) {
  return withHeaders(response, { Location: header("The URL of the created resource (or job)") });
}

/** A response of a rate-limited submission that was let through, with what is left of the limit. */
export function withRateLimit<T extends { description: string; headers?: Record<string, HeaderObject> }>(response: T) {
  return withHeaders(response, rateLimitHeaders);
}
