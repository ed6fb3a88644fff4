import type { ZodError } from "zod";

/**
 * What engine, job and domain modules throw when a request cannot be done as asked. Each carries
 * a stable machine `code` (the one clients see) and optional `details`; `src/api/errors.ts` alone
 * decides which HTTP status each kind is. The job runtime recognises them by `name`, which
 * survives crossing RPC and Workflow step boundaries where the class does not.
 */
export abstract class DomainError extends Error {
  abstract override readonly name: DomainErrorName;

  constructor(
    readonly code: string,
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
  | "QuotaExceededError";

/** Domain errors that no retry can cure: a job that throws one fails at once. */
const PERMANENT: ReadonlySet<string> = new Set<DomainErrorName>([
  "NotFoundError",
  "ConflictError",
  "InvalidInputError",
  "MalformedInputError",
  "UnauthorizedError",
  "QuotaExceededError",
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
