import type { z } from "@hono/zod-openapi";
import type { Backoff } from "../engine/retry";

export interface ProgressDetail {
  stage?: string;
  message?: string;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** What a running job can do. The same object shape in the queue consumer and in a Workflow. */
export interface JobContext {
  readonly jobId: string;
  readonly tenant: string;
  /** The Worker's bindings (D1, R2, queues, your own services), as a fetch handler gets them. */
  readonly env: Env;
  /** 1-based number of this attempt. */
  readonly attempt: number;
  /**
   * The job's run: 0 at first, one more each time it is run again (retried through the API or
   * replayed from the dead letters). With `attempt` it names this attempt uniquely.
   */
  readonly series: number;
  /** Aborted when the job is cancelled or the attempt times out. */
  readonly signal: AbortSignal;
  progress(percent: number, detail?: ProgressDetail): Promise<void>;
  /**
   * A durable, checkpointed step (backed by a Workflow step): once it has succeeded it is never
   * run again for this job, across crashes and retries. Only for job types declared `durable`.
   */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** A durable sleep. Only for job types declared `durable`. */
  sleep(name: string, ms: number): Promise<void>;
  log(message: string, level?: LogLevel): void;
}

export interface RateLimitRule {
  /** Submissions allowed per window. */
  limit: number;
  windowMs: number;
  /** `reject` answers 429; `throttle` accepts and delays starts so at most `limit` start per window. */
  mode?: "reject" | "throttle";
}

export interface RetryOptions {
  maxAttempts?: number;
  backoff?: Partial<Backoff>;
}

export interface JobDefinition<Schema extends z.ZodType = z.ZodType, ResultSchema extends z.ZodType = z.ZodType> {
  type: string;
  description?: string;
  input: Schema;
  /** What `run` resolves to: a completed job's `result`, as the API documents it (absent: any JSON). */
  result?: ResultSchema;
  retry?: RetryOptions;
  /** Per-attempt time limit in ms. */
  timeoutMs?: number;
  /**
   * The longest time limit a job of this type may ask for while it is not durable (default
   * MAX_TIMEOUT_MS): more only for types whose attempts do not hold the consumer (`AwaitingCallback`).
   */
  maxTimeoutMs?: number;
  /**
   * Whether a job of this type runs as a Workflow instance (needed for `ctx.step` / `ctx.sleep`).
   * May depend on the input. Everything else runs straight in the queue consumer.
   */
  durable?: boolean | ((input: z.output<Schema>) => boolean);
  /**
   * At most `limit` jobs of this type with the same key run at once (per tenant). `key` derives
   * the key from the input; a job's own `concurrencyKey` / `concurrencyLimit` override both.
   */
  concurrency?: { limit: number; key?: (input: z.output<Schema>) => string | undefined };
  /**
   * The default rate limit on submitting jobs of this type, per tenant (or per `key`, derived from
   * the input unless the request names a `rateLimitKey`). Tenants override it through the API.
   */
  rateLimit?: RateLimitRule & { key?: (input: z.output<Schema>) => string | undefined };
  /**
   * Checks at submission what the input schema cannot see, such as that an upload it names exists:
   * a problem (its `path` under `input`) refuses the submission as the schema's do (422
   * `invalid_job`). The job still checks when it runs: what was there at submit may be gone.
   */
  admit?: (input: z.output<Schema>, scope: { env: Env; tenant: string }) => Promise<{ path: string; message: string }[]>;
  run(input: z.output<Schema>, ctx: JobContext): Promise<z.output<ResultSchema>>;
}

/**
 * What `run` returns to leave its attempt open: the job stays running under the attempt's claim
 * until its outcome is reported from outside (a handler's callbacks, src/handlers/callbacks.ts)
 * or its time limit passes. Only the queue consumer's runner keeps attempts open.
 */
export class AwaitingCallback {}

/** Declares a job type; register it in `src/jobs/index.ts`. */
export function defineJob<Schema extends z.ZodType, ResultSchema extends z.ZodType = z.ZodUnknown>(
  definition: JobDefinition<Schema, ResultSchema>,
): JobDefinition<Schema, ResultSchema> {
  return definition;
}

export function isDurable(definition: JobDefinition, input: unknown): boolean {
  const { durable } = definition;
  return typeof durable === "function" ? durable(input) : durable === true;
}
