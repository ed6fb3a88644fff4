import type { ZodError } from "zod";

/**
 * Every `code` an error answer can carry, the `ErrorCode` enum of the OpenAPI document. DomainError
 * and ApiError take only these, so a new code is listed here before anything can throw it.
 */
export const ERROR_CODES = [
  // The request as sent
  "bad_request",
  "malformed_json",
  "validation_failed",
  "invalid_cursor",
  "empty_query",
  "empty_body",
  "length_required",
  "bad_length",
  "payload_too_large",
  "range_not_satisfiable",
  "upgrade_required",
  // Who is asking
  "unauthorized",
  "forbidden",
  "cross_origin",
  "csrf_failed",
  "rate_limited",
  // Tenant quotas (src/quotas/limits.ts)
  "quota_schedules",
  "quota_templates",
  "quota_upload_bytes",
  "quota_dataset_rows",
  "quota_document_chunks",
  "quota_live_jobs",
  "quota_secrets",
  // The thing asked for, and its state
  "not_found",
  "content_missing",
  "conflict",
  "invalid_state",
  "name_taken",
  "not_completed",
  "debounce_conflict",
  "not_uploading",
  "upload_in_use",
  "upload_incomplete",
  // Input that breaks a rule of its kind
  "invalid_job",
  "invalid_schedule",
  "invalid_variables",
  "invalid_document",
  "invalid_content",
  "invalid_parts",
  "invalid_archive",
  "unknown_action",
  "unknown_secret",
  "template_syntax",
  "render_failed",
  "limit_exceeded",
  "binary_format",
  "diff_too_large",
  "archive_too_large",
  "upload_failed",
  // Tenants' own job types (src/handlers/)
  "invalid_handler",
  "handler_type_taken",
  "handler_exists",
  "attempt_over",
  // Webhooks (src/webhooks/)
  "invalid_webhook",
  // The template marketplace (src/marketplace/)
  "display_name_required",
  "display_name_taken",
  "invalid_image",
  "own_template",
  // The deployment
  "internal_error",
  "not_configured",
  "unavailable",
  "dashboard_not_built",
  "docs_not_built",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * What engine, job and domain modules throw when a request cannot be done as asked. Each carries
 * a stable machine `code` (the one clients see) and optional `details`; `src/api/errors.ts` alone
 * decides which HTTP status each kind is. The job runtime recognises them by `name`, which
 * survives crossing RPC and Workflow step boundaries where the class does not.
 */
export abstract class DomainError extends Error {
  abstract override readonly name: DomainErrorName;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The thing asked for does not exist, or not for this tenant. */
export class NotFoundError extends DomainError {
  override readonly name = "NotFoundError";

  constructor(what: string) {
    super("not_found", `${what} not found`);
  }
}

/** The thing exists but its state (or a concurrent change) does not allow what was asked. */
export class ConflictError extends DomainError {
  override readonly name = "ConflictError";
}

/** The input was read but is not acceptable: it breaks a rule of its type. */
export class InvalidInputError extends DomainError {
  override readonly name = "InvalidInputError";
}

/** The input could not be read as sent (a body that did not arrive whole, bytes that do not parse). */
export class MalformedInputError extends DomainError {
  override readonly name = "MalformedInputError";
}

/** The caller's key is unknown or has been revoked. */
export class UnauthorizedError extends DomainError {
  override readonly name = "UnauthorizedError";

  constructor(message: string) {
    super("unauthorized", message);
  }
}

/** The thing exists and the caller may see it, but not change it (another tenant's marketplace listing or review). */
export class ForbiddenError extends DomainError {
  override readonly name = "ForbiddenError";

  constructor(message: string) {
    super("forbidden", message);
  }
}

/** A tenant quota refused the request: it would hold more than the quota allows. `code` names the quota. */
export class QuotaExceededError extends DomainError {
  override readonly name = "QuotaExceededError";
}

/** A rate limit refused the request; it may succeed once `retryAfterMs` has passed. */
export class RateLimitedError extends DomainError {
  override readonly name = "RateLimitedError";

  constructor(
    message: string,
    details: unknown,
    readonly retryAfterMs: number,
    /** The IETF RateLimit fields of the rule that refused it, as a submission reports them. */
    readonly rateLimitHeaders: Record<string, string>,
  ) {
    super("rate_limited", message, details);
  }
}

export type DomainErrorName =
  | "NotFoundError"
  | "ConflictError"
  | "InvalidInputError"
  | "MalformedInputError"
  | "UnauthorizedError"
  | "RateLimitedError"
  | "QuotaExceededError"
  | "ForbiddenError";

/** Domain errors that no retry can cure: a job that throws one fails at once. */
const PERMANENT: ReadonlySet<string> = new Set<DomainErrorName>([
  "NotFoundError",
  "ConflictError",
  "InvalidInputError",
  "MalformedInputError",
  "UnauthorizedError",
  "QuotaExceededError",
  "ForbiddenError",
]);

export function isPermanentDomainError(name: string): boolean {
  return PERMANENT.has(name);
}

/** One detail per zod issue, the shape every validation error's `details` takes. */
export function zodDetails(error: ZodError) {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
    code: issue.code,
  }));
}
