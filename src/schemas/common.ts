import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
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

/** Error responses shared by every authenticated route, so they appear in the OpenAPI document. */
export function errorResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    403: "The key lacks the scope this route needs",
    404: "Not found",
    409: "Conflicts with the resource's state",
    413: "Body too large",
    422: "Well-formed but not acceptable",
    429: "A rate limit refused the request (see Retry-After)",
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: descriptions[status] ?? "Error", content: { "application/json": { schema: ErrorSchema } } },
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

/** A 201 or 202 response with its `Location` header: where the created resource is read. */
export function withLocation<T extends { description: string }>(response: T) {
  return { ...response, headers: { Location: { description: "The URL of the created resource (or job)", schema: { type: "string" as const } } } };
}

/** The headers of a rate-limited response (src/engine/rate-limits.ts `rateLimitHeaders`). */
export const rateLimitHeaders = {
  "Retry-After": { description: "Seconds until the request may be made again", schema: { type: "integer" as const } },
  "RateLimit-Policy": { description: "`<limit>;w=<window seconds>` of the rule shown", schema: { type: "string" as const } },
  "RateLimit-Limit": { description: "Requests the rule allows per window", schema: { type: "integer" as const } },
  "RateLimit-Remaining": { description: "Requests left in the current window", schema: { type: "integer" as const } },
  "RateLimit-Reset": { description: "Seconds until the window frees room", schema: { type: "integer" as const } },
};

/** The 429 of a rate-limited route, with the headers that say when to retry (spread after `errorResponses`). */
export function rateLimitedResponse() {
  return { 429: { ...errorResponses(429)[429]!, headers: rateLimitHeaders } };
}
