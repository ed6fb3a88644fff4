import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { type RawSql, rawSql } from "../db/raw";
import { type ErrorInfo, NonRetryableError, describeError } from "../engine/errors";
import { publish } from "../engine/events";
import { progressItem, publishToFeeds, statusItem } from "../engine/feed";
import { ProgressRelay } from "../engine/progress-relay";
import { newId } from "../engine/ids";
import { type AttemptHooks, type AttemptResult, runAttempt } from "../engine/run-attempt";
import { type SettleInput, settle } from "../engine/settle";
import { eq } from "drizzle-orm";
import { database } from "../db/client";
import { PLATFORM_BINDING, onDatabase } from "../db/shards";
import { Invocation } from "../usage/invocation";
import { jobs } from "../db/schema";
import { claimRetry } from "../engine/store/claim";
import { checkpoints, stepStatements } from "../engine/store/steps";
import { writeProgress } from "../engine/store/watch";
import { type LogEntry, logStatements } from "../engine/store/settle";
import { findJobDefinition } from "../jobs/index";
import type { DurableJobParams, DurableJobSnapshot } from "./instance";

const PROGRESS_WRITE_MS = 1_000;

/**
 * A job step's value is kept as JSON text: it must be JSON-serialisable, like a job's result. A
 * step writes its logs, its checkpoint and a heartbeat as it ends, in one D1 round trip. (Records
 * of older versions carried the step's logs; a replay of one still writes them.)
 */
type StepOutcome = ({ ok: true; json: string } | { ok: false; error: ErrorInfo }) & { logs?: LogEntry[] };

/** What the hooks of one attempt share. */
interface AttemptScope {
  step: WorkflowStep;
  jobId: string;
  tenant: string;
  series: number;
  attempt: number;
  claimToken: string;
  /** Logs not yet written: they go out as the next step starts, before a sleep, or with the settle. */
  logs: LogEntry[];
  /** Results of job steps that succeeded, in any attempt of this series. */
  succeeded: Map<string, unknown>;
  /** Publishes progress once anyone watches (learnt from each progress write); holds it back until then. */
  relay: ProgressRelay;
  /** The furthest progress shown in this series: a later attempt replaying its checkpoints does not show it again. */
  shown: { percent: number; stage: string | null; message: string | null } | null;
  /** The attempt's last reported progress: D1 gets it with the throttled writes and the settle. */
  progress?: NonNullable<SettleInput["progress"]>;
}

/** The logs stay pending and go out with the next write; only a lost instance would miss the checkpoint. */
const keepGoing = (err: unknown) => console.warn("writing a step's logs and checkpoint failed", err);

function rethrow(error: ErrorInfo): never {
  const err = error.retryable ? new Error(error.message) : new NonRetryableError(error.message);
  err.name = error.name;
  throw err;
}

type FlushLogs = (entries?: LogEntry[], checkpoint?: { name: string; value: string }, aliveUntil?: number) => Promise<void>;

/** `ctx.step`: a Workflow step, skipped for a step that succeeded earlier in the series. */
async function runJobStep<T>(scope: AttemptScope, flushLogs: FlushLogs, name: string, fn: () => Promise<T>): Promise<T> {
  const { step, logs, succeeded } = scope;
  if (succeeded.has(name)) return succeeded.get(name) as T;
  const outcome = (await step.do(name, async (): Promise<StepOutcome> => {
    let value: unknown;
    try {
      value = await fn();
    } catch (err) {
      await flushLogs().catch(keepGoing);
      return { ok: false, error: describeError(err) };
    }
    const json = JSON.stringify(value ?? null);
    // The step's work is done: a failed write must not make the Workflow run it again.
    await flushLogs(undefined, { name, value: json }).catch(keepGoing);
    return { ok: true, json };
  })) as StepOutcome;
  logs.push(...(outcome.logs ?? []));
  if (!outcome.ok) rethrow(outcome.error);
  const value = JSON.parse(outcome.json) as T;
  succeeded.set(name, value);
  return value;
}

/** `ctx.sleep`: a Workflow sleep. */
async function sleepJobStep(scope: AttemptScope, flushLogs: FlushLogs, name: string, ms: number): Promise<void> {
  const { step, succeeded } = scope;
  // A sleep's wake time is a checkpoint too: a new instance sleeps only what is left of it.
  const key = `sleep:${name}`;
  const wakeAt = succeeded.has(key) ? (succeeded.get(key) as number) : Date.now() + ms;
  succeeded.set(key, wakeAt);
  await flushLogs(undefined, { name: key, value: JSON.stringify(wakeAt) }, wakeAt);
  await step.sleep(name, Math.max(0, wakeAt - Date.now()));
}

/**
 * Runs a job whose type uses `ctx.step` / `ctx.sleep`. Each job step is a Workflow step, so a step
 * that succeeded is never run again: not after a crash (the Workflow replays it from its record)
 * and not on a later attempt (its result is reused). The attempt loop, with its backoff sleeps,
 * lives here too, so all attempts of a series share one instance and its step records.
 *
 * The platform adds as few steps of its own as it can (Workflows are priced and rate-limited per
 * step): the job snapshot comes in the params, and a success is settled outside a step because
 * settling is a conditional update on the attempt's claim token, so a replay of it changes nothing.
 */
export class DurableJobWorkflow extends WorkflowEntrypoint<Env, DurableJobParams> {
  override async run(event: WorkflowEvent<DurableJobParams>, step: WorkflowStep) {
    // Its job was cancelled before this instance could be created: cancelling took the id first.
    if (event.payload.cancelled) return { status: "cancelled", attempt: 0 };
    // This run works on its job's database: every method below reads `this.env.DB`.
    this.env = onDatabase(this.env, event.payload.db ?? PLATFORM_BINDING);
    // Metered like the queue consumer's batches, into the usage ledger: one record per invocation
    // (a Workflow gets one again after each sleep or restart), and one before each sleep.
    const invocation = new Invocation(this.env, "workflow_run");
    this.env = invocation.env;
    try {
      return await this.runJob(event, invocation.steps(step), invocation);
    } finally {
      await invocation.record({ jobId: event.payload.jobId });
    }
  }

  private async runJob(event: WorkflowEvent<DurableJobParams>, step: WorkflowStep, invocation: Invocation) {
    const { jobId, series } = event.payload;
    const job = event.payload.job ?? (await step.do("load job", () => this.loadJob(jobId)));
    invocation.add(job.tenant);
    const definition = findJobDefinition(job.type);
    const succeeded = new Map<string, unknown>();
    // Past its first attempt in a new instance: its job lost the instance before, and goes on
    // here from the first step that had not finished.
    if (job.attempt > 1) {
      const done = await step.do("load checkpoints", () => checkpoints(database(this.env), jobId, series));
      for (const [name, json] of done) succeeded.set(name, JSON.parse(json));
    }
    let attempt = job.attempt;
    let claimToken = event.payload.claimToken;
    const relay = new ProgressRelay(this.env, jobId, job.watched === 1);
    const shown: { current: AttemptScope["shown"] } = { current: null };

    for (;;) {
      const scope: AttemptScope = { step, jobId, tenant: job.tenant, series, attempt, claimToken, logs: [], succeeded, relay, shown: shown.current };
      const result: AttemptResult = definition
        ? await runAttempt(definition, { id: jobId, tenant: job.tenant, attempt, series, input: job.input, timeoutMs: job.timeoutMs }, this.hooks(scope))
        : { ok: false, timedOut: false, error: describeError(new NonRetryableError(`unknown job type "${job.type}"`)) };
      shown.current = scope.shown;
      const settleInput: SettleInput = {
        job: { id: jobId, claimToken, series, attempt, maxAttempts: job.maxAttempts, backoff: job.backoff, priority: job.priority, durable: 1, gated: job.gated },
        result,
        progress: scope.progress,
        heldProgress: await relay.takeHeld(),
      };
      if (result.ok) {
        try {
          await settle(this.env, [settleInput], scope.logs);
        } catch (err) {
          console.warn(`settling ${jobId} failed; retrying it as a step`, err);
          await step.do(`settle attempt ${attempt}`, async () => (await settle(this.env, [settleInput], scope.logs)).length);
        }
        return { status: "completed", attempt };
      }
      const settled = await step.do(`settle attempt ${attempt}`, async () => {
        const [settlement] = await settle(this.env, [settleInput], scope.logs);
        if (!settlement) return { status: "superseded", delayMs: 0 };
        return { status: settlement.status, delayMs: Math.max(0, (settlement.runAt ?? 0) - Date.now()) };
      });
      if (settled.status !== "retrying") return { status: settled.status, attempt };

      await step.sleep(`backoff after attempt ${attempt}`, settled.delayMs);
      const next = await step.do(`claim attempt ${attempt + 1}`, () => this.claimNext(jobId, series, job));
      if (!next) return { status: "cancelled", attempt };
      attempt = next.attempt;
      claimToken = next.token;
      relay.watched = next.watched === 1;
    }
  }

  private async loadJob(jobId: string): Promise<DurableJobSnapshot> {
    const { tenant, type, input, attempts: attempt, maxAttempts, timeoutMs, backoff, priority, watched, gated } = jobs;
    const row = await database(this.env)
      .select({ tenant, type, input, attempt, maxAttempts, timeoutMs, backoff, priority, watched, gated })
      .from(jobs)
      .where(eq(jobs.id, jobId))
      .get();
    if (!row) throw new NonRetryableError(`job ${jobId} not found`);
    return row;
  }

  private async claimNext(jobId: string, series: number, job: DurableJobSnapshot) {
    const token = newId("claim");
    const claimed = await claimRetry(database(this.env), jobId, series, token, Date.now());
    if (claimed?.watched) await publish(this.env, jobId, [{ type: "status", status: "running", attempt: claimed.attempt }]);
    if (claimed?.feed) await publishToFeeds(this.env, [statusItem({ ...job, id: jobId, status: "running", attempt: claimed.attempt })]);
    return claimed ? { attempt: claimed.attempt, watched: claimed.watched, token } : null;
  }

  /** The job context's plumbing inside a Workflow: steps are Workflow steps, logs follow them. */
  private hooks(scope: AttemptScope): AttemptHooks {
    const { jobId, attempt, logs } = scope;
    const sql = rawSql(this.env.DB);
    const flushLogs = this.logFlusher(scope, sql);
    return {
      env: this.env,
      progress: this.progressHook(scope, sql),
      log: (level, message) => {
        logs.push({ jobId, at: Date.now(), attempt, level, message });
      },
      step: (name, fn) => runJobStep(scope, flushLogs, name, fn),
      sleep: (name, ms) => sleepJobStep(scope, flushLogs, name, ms),
    };
  }

  /** Writes logs not written yet with a heartbeat and, after a step, its checkpoint. */
  private logFlusher(scope: AttemptScope, sql: RawSql): FlushLogs {
    const { jobId, series, claimToken, logs } = scope;
    return async (entries = logs.splice(0), checkpoint, aliveUntil) => {
      const at = { jobId, series, claimToken, now: Date.now(), aliveUntil };
      try {
        await this.env.DB.batch([...logStatements(sql, entries), ...stepStatements(sql, at, checkpoint)]);
      } catch (err) {
        logs.unshift(...entries);
        throw err;
      }
    };
  }

  /** Shows progress past what the series showed already, and writes it to D1 at most once a PROGRESS_WRITE_MS. */
  private progressHook(scope: AttemptScope, sql: RawSql): AttemptHooks["progress"] {
    const { jobId, attempt, claimToken, relay } = scope;
    // The claim wrote a heartbeat just before; short attempts then write no progress of their own
    // (the settle records the last one).
    let lastProgressWrite = Date.now();
    return async (percent, detail) => {
      const progress = { percent, stage: detail.stage ?? null, message: detail.message ?? null };
      const last = scope.shown;
      const replayed = last !== null && (percent < last.percent ||
        (percent === last.percent && progress.stage === last.stage && progress.message === last.message));
      if (replayed) return;
      scope.shown = progress;
      scope.progress = progress;
      await relay.report(attempt, progress);
      if (Date.now() - lastProgressWrite < PROGRESS_WRITE_MS) return;
      lastProgressWrite = Date.now();
      const mark = relay.mark();
      const row = await writeProgress(sql, { jobId, claimToken, now: lastProgressWrite }, progress);
      if (row?.feed) await publishToFeeds(this.env, [progressItem(scope.tenant, jobId, progress)]);
      if (row) await relay.written(mark, row.watched === 1);
    };
  }
}
