import { documentBodyLimits } from "./body-limits";

type Response = { description?: string; headers?: Record<string, unknown>; $ref?: string };
type Operation = { security?: unknown[]; parameters?: unknown[]; requestBody?: unknown; responses?: Record<string, Response> };
type Document = { paths?: object; components?: object };

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);
const ERROR_CONTENT = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
const REQUEST_ID = { $ref: "#/components/headers/RequestId" };

/** What any operation can answer, whatever its own responses say (src/api/errors.ts, middleware/auth.ts). */
const SHARED_RESPONSES = {
  BadRequest: "The path, query or body failed validation (`validation_failed`), or the body is not JSON (`malformed_json`)",
  Unauthorized: "No credentials, or an unknown, revoked or expired key or session (`unauthorized`)",
  Forbidden: "The key lacks the scope this route needs (`forbidden`), the session's CSRF token or origin is wrong, or a tenant quota refused the request (`quota_*`)",
  InternalError: "An unexpected failure (`internal_error`); the `requestId` finds it in the logs",
  Unavailable: "The deployment lacks a secret it needs (`not_configured`), or a part it relies on could not be reached (`unavailable`)",
} as const;

type Shared = keyof typeof SHARED_RESPONSES;

/** The shared responses an operation gives: 400 when it validates input, the auth ones unless it is open. */
function sharedFor(operation: Operation): [string, Shared][] {
  const validates = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
  const authenticated = operation.security?.length !== 0;
  return [
    ...(validates ? [["400", "BadRequest"] as [string, Shared]] : []),
    ...(authenticated ? ([["401", "Unauthorized"], ["403", "Forbidden"], ["503", "Unavailable"]] as [string, Shared][]) : []),
    ["500", "InternalError"],
  ];
}

function completeOperation(operation: Operation) {
  const responses = (operation.responses ??= {});
  for (const [status, name] of sharedFor(operation)) responses[status] ??= { $ref: `#/components/responses/${name}` };
  for (const response of Object.values(responses)) {
    if (!response.$ref) response.headers = { "x-request-id": REQUEST_ID, ...response.headers };
  }
  operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Completes the generated document with what the routes do not each declare: the body limits,
 * the responses every operation shares, and the `x-request-id` every answer carries.
 */
export function completeDocument<T extends Document>(document: T): T {
  documentBodyLimits(document);
  const responses = Object.fromEntries(
    Object.entries(SHARED_RESPONSES).map(([name, description]) => [name, { description, headers: { "x-request-id": REQUEST_ID }, content: ERROR_CONTENT }]),
  );
  const requestId = { description: "The request's id (Cloudflare's `cf-ray` where there is one), as the error envelope's `requestId`", required: true, schema: { type: "string" } };
  document.components = { ...document.components, responses, headers: { RequestId: requestId } };
  for (const item of Object.values(document.paths ?? {}) as object[]) {
    for (const [method, operation] of Object.entries(item)) if (METHODS.has(method)) completeOperation(operation as Operation);
  }
  return document;
}
