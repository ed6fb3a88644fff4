import { isPermanentDomainError } from "../errors";

/**
 * Thrown by a job to fail at once, without further attempts. Recognised by `name` as well as
 * `instanceof`, so it survives crossing RPC and Workflow step boundaries as a plain error.
 */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";
}

/** An attempt that ran past its `timeoutMs`. Counts as a failed attempt. */
export class AttemptTimeoutError extends Error {
  override name = "AttemptTimeoutError";
  constructor(timeoutMs: number) {
    super(`attempt timed out after ${timeoutMs} ms`);
  }
}

/** The job was cancelled while this attempt ran. */
export class JobCancelledError extends Error {
  override name = "JobCancelledError";
  constructor() {
    super("job was cancelled");
  }
}

/** Thrown by a job to ask for its next attempt no sooner than `retryAfterMs` from now. */
export class RetryAfterError extends Error {
  override name = "RetryAfterError";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export interface ErrorInfo {
  name: string;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
}

/**
 * What an attempt's failure was, by `name` (classes do not survive RPC or Workflow boundaries).
 * Domain errors that no retry can cure (not found, invalid input, conflict) stop retries like a
 * `NonRetryableError`; a rate limit retries, no sooner than its `retryAfterMs`.
 */
export function describeError(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const retryAfterMs = (err as Partial<RetryAfterError>).retryAfterMs;
    return {
      name: err.name,
      message: err.message,
      retryable: err.name !== "NonRetryableError" && err.name !== "JobCancelledError" && !isPermanentDomainError(err.name),
      ...(typeof retryAfterMs === "number" ? { retryAfterMs } : {}),
    };
  }
  return { name: "Error", message: String(err), retryable: true };
}
