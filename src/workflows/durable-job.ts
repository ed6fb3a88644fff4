import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { rawSql, rowsOf } from "../db/raw";
import { database } from "../db/client";
import { jobs } from "../db/schema";
import { type ErrorInfo, NonRetryableError, describeError } from "../engine/errors";
import { publish } from "../engine/events";
import { newId } from "../engine/ids";
import { runAttempt } from "../engine/run-attempt";
import { settle } from "../engine/settle";
import { type LogEntry, claimRetryStatements, logStatements } from "../engine/state";
import { findJobDefinition } from "../jobs/index";
import type { DurableJobParams } from "./instance";

const PROGRESS_WRITE_MS = 1_000;

/** A job step's value is kept as JSON text: it must be JSON-serialisable, like a job's result. */
type StepOutcome = { ok: true; json: string } | { ok: false; error: ErrorInfo };

function rethrow(error: ErrorInfo): never {
  const err = error.retryable ? new Error(error.message) : new NonRetryableError(error.message);
  err.name = error.name;
  throw err;
}

/**
 * Runs a job whose type uses `ctx.step` / `ctx.sleep`. Each job step is a Workflow step, so a step
 * that succeeded is never run again: not after a crash (the Workflow replays it from its record)
 * and not on a later attempt (its result is reused). The attempt loop, with its backoff sleeps,
 * lives here too, so all attempts of a series share one instance and its step records.
 */
export class DurableJobWorkflow extends WorkflowEntrypoint<Env, DurableJobParams> {
  override async run(event: WorkflowEvent<DurableJobParams>, step: WorkflowStep) {
    const { jobId, series } = event.payload;
    const db = database(this.env);
    const sql = rawSql(this.env.DB);
    const job = await step.do("load job", async () => {
      const row = await db.select().from(jobs).where(eq(jobs.id, jobId)).get();
      if (!row) throw new NonRetryableError(`job ${jobId} not found`);
      const { id, tenant, type, input, attempts, maxAttempts, timeoutMs, backoff, priority } = row;
      return { id, tenant, type, input, attempts, maxAttempts, timeoutMs, backoff: backoff ?? "{}", priority };
    });
    const definition = findJobDefinition(job.type);
    const succeeded = new Map<string, unknown>();
    let attempt = job.attempts;
    let claimToken = event.payload.claimToken;

    for (;;) {
      const pendingLogs: LogEntry[] = [];
      let lastProgressWrite = 0;
      const flushLogs = async () => {
        const entries = pendingLogs.splice(0);
        if (entries.length > 0) await this.env.DB.batch(logStatements(sql, entries));
      };
      const currentAttempt = attempt;
      const result = definition
        ? await runAttempt(definition, { id: job.id, tenant: job.tenant, attempt, input: job.input, timeoutMs: job.timeoutMs }, {
            progress: async (percent, detail) => {
              const progress = { percent, stage: detail.stage ?? null, message: detail.message ?? null };
              await publish(this.env, jobId, [{ type: "progress", attempt: currentAttempt, ...progress, at: new Date().toISOString() }]);
              if (Date.now() - lastProgressWrite >= PROGRESS_WRITE_MS || percent >= 100) {
                lastProgressWrite = Date.now();
                await sql`
                  UPDATE jobs SET heartbeat_at = ${lastProgressWrite}, progress_percent = ${progress.percent},
                         progress_stage = ${progress.stage}, progress_message = ${progress.message}
                  WHERE id = ${jobId} AND status = 'running' AND claim_token = ${claimToken}`.run();
              }
            },
            log: (level, message) => {
              pendingLogs.push({ jobId, at: Date.now(), attempt: currentAttempt, level, message });
            },
            step: async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
              if (succeeded.has(name)) return succeeded.get(name) as T;
              const outcome = (await step.do(name, async (): Promise<StepOutcome> => {
                try {
                  const value = await fn();
                  await flushLogs();
                  return { ok: true, json: JSON.stringify(value ?? null) };
                } catch (err) {
                  await flushLogs();
                  return { ok: false, error: describeError(err) };
                }
              })) as StepOutcome;
              if (!outcome.ok) rethrow(outcome.error);
              const value = JSON.parse(outcome.json) as T;
              succeeded.set(name, value);
              return value;
            },
            sleep: (name, ms) => step.sleep(name, ms),
          })
        : { ok: false as const, timedOut: false, error: describeError(new NonRetryableError(`unknown job type "${job.type}"`)) };

      const token = claimToken;
      const settled = await step.do(`settle attempt ${attempt}`, async () => {
        await flushLogs();
        const [settlement] = await settle(this.env, [
          { job: { id: jobId, claimToken: token, series, attempt, maxAttempts: job.maxAttempts, backoff: job.backoff, priority: job.priority, durable: 1 }, result },
        ], []);
        if (!settlement) return { status: "superseded", delayMs: 0 };
        return { status: settlement.status, delayMs: Math.max(0, (settlement.runAt ?? 0) - Date.now()) };
      });
      if (settled.status !== "retrying") return { status: settled.status, attempt };

      await step.sleep(`backoff after attempt ${attempt}`, settled.delayMs);
      const next = await step.do(`claim attempt ${attempt + 1}`, async () => {
        const token = newId("claim");
        const results = await this.env.DB.batch(claimRetryStatements(sql, jobId, series, token, Date.now()));
        const claimed = rowsOf<{ attempt: number }>(results, 0)[0];
        if (claimed) await publish(this.env, jobId, [{ type: "status", status: "running", attempt: claimed.attempt }]);
        return claimed ? { attempt: claimed.attempt, token } : null;
      });
      if (!next) return { status: "cancelled", attempt };
      attempt = next.attempt;
      claimToken = next.token;
    }
  }
}
