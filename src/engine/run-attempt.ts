import type { JobContext, JobDefinition, LogLevel, ProgressDetail } from "../jobs/define";
import { zodDetails } from "../errors";
import { AttemptTimeoutError, type ErrorInfo, NonRetryableError, describeError } from "./errors";

/** Results live in the D1 row; bigger artefacts belong in R2. */
export const MAX_RESULT_BYTES = 512 * 1024;
const MAX_LOG_MESSAGE = 2_000;

export interface AttemptSpec {
  id: string;
  tenant: string;
  attempt: number;
  input: string;
  timeoutMs: number;
}

/** How a context reaches the outside world; the consumer and the Workflow each supply their own. */
export interface AttemptHooks {
  env: Env;
  progress(percent: number, detail: ProgressDetail): Promise<void>;
  log(level: LogLevel, message: string): void;
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  sleep(name: string, ms: number): Promise<void>;
  /**
   * Lets the runner stop the attempt from outside: called once with a function that stops it with a
   * reason, such as a JobCancelledError when the job is cancelled.
   */
  stoppable?(stop: (reason: Error) => void): void;
  /**
   * The runner stops the attempt with an AttemptTimeoutError at `timeoutMs` itself, so the attempt
   * sets no timer of its own (the consumer keeps one timer for a whole batch of attempts).
   */
  runnerKeepsTimeLimit?: boolean;
}

export type AttemptResult =
  | { ok: true; result: string }
  | { ok: false; error: ErrorInfo; timedOut: boolean };

/** Within 0–100, to hundredths: `(11 / 20) * 100` is 55.00000000000001 in floating point. */
function clampPercent(percent: number): number {
  if (!Number.isFinite(percent)) return 0;
  return Math.round(Math.min(100, Math.max(0, percent)) * 100) / 100;
}

/**
 * Runs one attempt of a job: validates input, enforces the time limit, serialises the result.
 * The common attempt is short and never looks at `ctx.signal`, so it costs no AbortController,
 * event listener or error object unless something asks for one or stops the attempt.
 */
export async function runAttempt(
  definition: JobDefinition,
  spec: AttemptSpec,
  hooks: AttemptHooks,
): Promise<AttemptResult> {
  let controller: AbortController | undefined;
  /** Why the attempt was stopped from outside, once it was. */
  let stopReason: Error | undefined;
  let rejectStopped: (reason: Error) => void = () => {};
  const stopped = new Promise<never>((_, reject) => (rejectStopped = reject));
  stopped.catch(() => undefined);
  const stop = (reason: Error) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    controller?.abort(reason);
    rejectStopped(reason);
  };
  hooks.stoppable?.(stop);
  const timer = hooks.runnerKeepsTimeLimit ? undefined : setTimeout(() => stop(new AttemptTimeoutError(spec.timeoutMs)), spec.timeoutMs);

  const ctx: JobContext = {
    jobId: spec.id,
    tenant: spec.tenant,
    env: hooks.env,
    attempt: spec.attempt,
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (stopReason !== undefined) controller.abort(stopReason);
      }
      return controller.signal;
    },
    progress: (percent, detail = {}) => hooks.progress(clampPercent(percent), detail),
    step: (name, fn) => hooks.step(name, fn),
    sleep: (name, ms) => hooks.sleep(name, ms),
    log: (message, level = "info") => hooks.log(level, String(message).slice(0, MAX_LOG_MESSAGE)),
  };

  try {
    const parsed = definition.input.safeParse(JSON.parse(spec.input));
    if (!parsed.success) {
      const fields = zodDetails(parsed.error).map((d) => `${d.path}: ${d.message}`).join("; ");
      throw new NonRetryableError(`input does not match the job type's schema: ${fields}`);
    }
    const value = await Promise.race([definition.run(parsed.data, ctx), stopped]);
    const result = JSON.stringify(value ?? null);
    if (result.length > MAX_RESULT_BYTES) {
      throw new NonRetryableError(`result is ${result.length} bytes; at most ${MAX_RESULT_BYTES} (store bytes in R2)`);
    }
    return { ok: true, result };
  } catch (err) {
    return { ok: false, error: describeError(err), timedOut: err === stopReason && err instanceof AttemptTimeoutError };
  } finally {
    clearTimeout(timer);
    // Work the job left behind (a fetch it did not await, say) learns that the attempt is over.
    if (controller && !controller.signal.aborted) controller.abort(new Error("attempt finished"));
  }
}
