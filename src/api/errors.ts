import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { secretsKeyProblem } from "../secrets/cipher";
import { DomainError, type DomainErrorName, type ErrorCode, RateLimitedError, zodDetails } from "../errors";

/**
 * The error type routes throw for what only HTTP knows (a missing header, a scope, a range);
 * `renderError` turns it, and every `DomainError`, into the JSON envelope.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

/** 503 before a route seals or opens a secret when SECRETS_KEY is missing or unsafe. */
export function assertSecretsKey(env: Env) {
  const problem = secretsKeyProblem(env);
  if (problem) throw new ApiError(503, "not_configured", problem);
}

/** The status of each kind of domain error: the one place the domain meets HTTP. */
const DOMAIN_STATUS = {
  NotFoundError: 404,
  ConflictError: 409,
  InvalidInputError: 422,
  MalformedInputError: 400,
  UnauthorizedError: 401,
  RateLimitedError: 429,
  QuotaExceededError: 403,
  ForbiddenError: 403,
} as const satisfies Record<DomainErrorName, ContentfulStatusCode>;

function fromDomainError(err: DomainError): ApiError {
  const headers = err instanceof RateLimitedError
    ? { ...err.rateLimitHeaders, "Retry-After": String(Math.max(0, Math.ceil(err.retryAfterMs / 1000))) }
    : undefined;
  return new ApiError(DOMAIN_STATUS[err.name], err.code, err.message, err.details, headers);
}

function envelope(c: Context, err: ApiError) {
  const body = {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
      requestId: c.get("requestId" as never) as string | undefined,
    },
  };
  return c.json(body, err.status, err.headers);
}

function fromHttpException(err: HTTPException): ApiError {
  if (err.status === 413) return new ApiError(413, "payload_too_large", err.message || "request body too large");
  if (err.status === 400 && /json/i.test(err.message)) return new ApiError(400, "malformed_json", err.message);
  const status = err.status as ContentfulStatusCode;
  return new ApiError(status, status >= 500 ? "internal_error" : "bad_request", err.message || "request rejected");
}

/** Maps every error to HTTP in one place. Unknown errors are 500 and logged; nothing else is. */
export const renderError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) return envelope(c, err);
  if (err instanceof DomainError) return envelope(c, fromDomainError(err));
  if (err instanceof HTTPException) return envelope(c, fromHttpException(err));
  if (err instanceof SyntaxError) return envelope(c, new ApiError(400, "malformed_json", err.message));
  console.error("unhandled error", err);
  return envelope(c, new ApiError(500, "internal_error", "internal error"));
};

/** The zod-openapi `defaultHook`: schema failures become 400 with one detail per field. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target?: string },
  c: Context,
) {
  if (!result.success) {
    const where = result.target ? ` in ${result.target}` : "";
    return envelope(
      c,
      new ApiError(400, "validation_failed", `request failed validation${where}`, zodDetails(result.error)),
    );
  }
  return undefined;
}
