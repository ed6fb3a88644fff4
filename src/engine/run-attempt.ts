import { AwaitingCallback, type JobContext, type JobDefinition, type LogLevel, type ProgressDetail } from "../jobs/define";
import { zodDetails } from "../errors";
import { parseJobInput } from "../secrets/references";
import { revealInput } from "../secrets/reveal";
import { NO_SECRETS, type SecretScrubber } from "../secrets/scrub";
import { AttemptTimeoutError, type ErrorInfo, NonRetryableError, describeError } from "./errors";

/**
 * Results live in the D1 row (D1 refuses rows over 2 MB); bigger artefacts belong in R2. Room for
 * an `http.request` result holding the largest body it stores (1 MiB) with its headers.
 */
export const MAX_RESULT_BYTES = 1536 * 1024;
const MAX_LOG_MESSAGE = 2_000;
/**
 * Job types that run each of their items through `runAttempt` with the item's own input: the
 * secrets an item names are revealed in the item's attempt, never in the items stored as rows, so
 * their own input is checked as at submit, with references standing in for strings.
 */
const REVEALED_PER_ITEM: ReadonlySet<string> = new Set(["batch"]);

export interface AttemptSpec {
  id: string;
  tenant: string;
  attempt: number;
  series: number;
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
  /** The runner can leave an attempt open (a job's `run` returned `AwaitingCallback`). */
  keepsAttemptsOpen?: boolean;
}

export type AttemptResult =
  | { ok: true; result: string }
  | { ok: false; error: ErrorInfo; timedOut: boolean };

/** The attempt is still open: its outcome will be reported from outside (see `AwaitingCallback`). */
export interface OpenAttempt {
  ok: "open";
}

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
export function runAttempt(definition: JobDefinition, spec: AttemptSpec, hooks: AttemptHooks & { keepsAttemptsOpen: true }): Promise<AttemptResult | OpenAttempt>;
export function runAttempt(definition: JobDefinition, spec: AttemptSpec, hooks: AttemptHooks): Promise<AttemptResult>;
export async function runAttempt(
  definition: JobDefinition,
  spec: AttemptSpec,
  hooks: AttemptHooks,
): Promise<AttemptResult | OpenAttempt> {
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
  // Set once the input's secrets are revealed: every value the attempt writes goes through it.
  let scrubber = NO_SECRETS;

  const ctx: JobContext = {
    jobId: spec.id,
    tenant: spec.tenant,
    env: hooks.env,
    attempt: spec.attempt,
    series: spec.series,
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (stopReason !== undefined) controller.abort(stopReason);
      }
      return controller.signal;
    },
    progress: (percent, detail = {}) => hooks.progress(clampPercent(percent), scrubber.empty ? detail : scrubbedDetail(scrubber, detail)),
    step: (name, fn) => hooks.step(scrubber.text(name), scrubber.empty ? fn : () => scrubbedStep(scrubber, fn)),
    sleep: (name, ms) => hooks.sleep(scrubber.text(name), ms),
    log: (message, level = "info") => hooks.log(level, scrubber.text(String(message)).slice(0, MAX_LOG_MESSAGE)),
  };

  try {
    const input = await attemptInput(definition, spec, hooks.env);
    scrubber = input.scrubber;
    const { parsed } = input;
    if (!parsed.success) {
      const fields = zodDetails(parsed.error).map((d) => `${d.path}: ${d.message}`).join("; ");
      throw new NonRetryableError(`input does not match the job type's schema: ${fields}`);
    }
    const value = await Promise.race([definition.run(parsed.data, ctx), stopped]);
    return outcomeOf(value, definition, hooks, scrubber);
  } catch (err) {
    return { ok: false, error: scrubber.errorInfo(describeError(err)), timedOut: err === stopReason && err instanceof AttemptTimeoutError };
  } finally {
    clearTimeout(timer);
    // Work the job left behind (a fetch it did not await, say) learns that the attempt is over.
    if (controller && !controller.signal.aborted) controller.abort(new Error("attempt finished"));
  }
}

/** What a run's value makes of the attempt: a result, or an attempt left open where the runner keeps those. */
function outcomeOf(value: unknown, definition: JobDefinition, hooks: AttemptHooks, scrubber: SecretScrubber): AttemptResult | OpenAttempt {
  if (!(value instanceof AwaitingCallback)) return { ok: true, result: storableResult(scrubber, value) };
  if (hooks.keepsAttemptsOpen) return { ok: "open" };
  throw new NonRetryableError(`job type ${definition.type} can only run in the queue consumer`);
}

/** A result as the job row stores it: JSON, its secrets scrubbed, within the size a row holds. */
function storableResult(scrubber: SecretScrubber, value: unknown): string {
  const result = scrubber.json(value);
  if (result.length > MAX_RESULT_BYTES) {
    throw new NonRetryableError(`result is ${result.length} bytes; at most ${MAX_RESULT_BYTES} (store bytes in R2)`);
  }
  return result;
}

/** The attempt's input, parsed with its secrets revealed, and what takes them out of what it writes. */
async function attemptInput(definition: JobDefinition, spec: AttemptSpec, env: Env) {
  if (REVEALED_PER_ITEM.has(definition.type)) return { parsed: parseJobInput(definition.input, JSON.parse(spec.input)), scrubber: NO_SECRETS };
  const { input, scrubber } = await revealInput(env, spec.tenant, spec.input);
  return { parsed: definition.input.safeParse(input), scrubber };
}

function scrubbedDetail(scrubber: SecretScrubber, detail: ProgressDetail): ProgressDetail {
  return {
    ...(detail.stage === undefined ? {} : { stage: scrubber.text(detail.stage) }),
    ...(detail.message === undefined ? {} : { message: scrubber.text(detail.message) }),
  };
}

/** A step's value and error as its checkpoint records them: without the attempt's secrets. */
async function scrubbedStep<T>(scrubber: SecretScrubber, fn: () => Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await fn();
  } catch (err) {
    throw scrubber.error(err);
  }
  return JSON.parse(scrubber.json(value)) as T;
}
