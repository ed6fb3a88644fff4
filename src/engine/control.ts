import { and, eq, inArray, sql } from "drizzle-orm";
import { ApiError, notFound } from "../api/errors";
import type { Database, JobRow } from "../db/client";
import { attempts, batchItems, deadLetters, jobs } from "../db/schema";
import { workflowInstanceId } from "../workflows/instance";
import { dispatchOrLeaveToSweeper } from "./dispatch";
import { TERMINAL, publish } from "./events";
import { promote } from "./gates";
import type { Priority } from "./lanes";

export async function findJob(db: Database, tenant: string, id: string): Promise<JobRow> {
  const row = await db.select().from(jobs).where(and(eq(jobs.id, id), eq(jobs.tenant, tenant))).get();
  if (!row) throw notFound(`job ${id}`);
  return row;
}

/**
 * Cancels a job that has not finished. A queued job never runs; a running one has its Workflow
 * terminated or, in the queue consumer, its `ctx.signal` aborted at the next heartbeat.
 */
export async function cancelJob(env: Env, db: Database, tenant: string, id: string, now = Date.now()): Promise<JobRow> {
  const job = await findJob(db, tenant, id);
  if (TERMINAL.has(job.status)) throw new ApiError(409, "invalid_state", `job is already ${job.status}`);
  const [updated] = await db.batch([
    db
      .update(jobs)
      .set({ status: "cancelled", finishedAt: now, claimToken: null, dispatchDueAt: null, heartbeatAt: null })
      .where(and(eq(jobs.id, id), inArray(jobs.status, ["queued", "running", "retrying"])))
      .returning(),
    db
      .update(attempts)
      .set({ outcome: "cancelled", finishedAt: now })
      .where(and(eq(attempts.jobId, id), eq(attempts.series, job.series), eq(attempts.outcome, "running"))),
    // A batch's items that have not run yet are cancelled with it.
    db.update(batchItems).set({ status: "cancelled", finishedAt: now }).where(and(eq(batchItems.jobId, id), eq(batchItems.status, "pending"))),
  ]);
  const row = updated[0];
  if (!row) throw new ApiError(409, "invalid_state", "job finished before it could be cancelled");
  if (row.durable === 1 && (job.status === "running" || job.status === "retrying")) await stopWorkflow(env, id, job.series);
  if (row.watched === 1) await publish(env, id, [{ type: "status", status: "cancelled", attempt: row.attempts }]);
  // Its slot (or its place in line) is free for the next waiting job.
  if (row.gated === 1) await promote(env, [id], now);
  return row;
}

/** failed|cancelled -> queued as a fresh attempt series; also takes the job off the dead-letter list. */
export async function requeueJob(env: Env, db: Database, tenant: string, id: string, now = Date.now()): Promise<JobRow> {
  const job = await findJob(db, tenant, id);
  if (job.status !== "failed" && job.status !== "cancelled") {
    throw new ApiError(409, "invalid_state", `only failed or cancelled jobs can run again; this one is ${job.status}`);
  }
  const [updated] = await db.batch([
    db
      .update(jobs)
      .set({
        status: "queued",
        attempts: 0,
        series: sql`${jobs.series} + 1`,
        result: null,
        error: null,
        startedAt: null,
        finishedAt: null,
        runAt: now,
        dispatchDueAt: now,
        progressPercent: 0,
        progressStage: null,
        progressMessage: null,
      })
      .where(and(eq(jobs.id, id), inArray(jobs.status, ["failed", "cancelled"])))
      .returning(),
    db.delete(deadLetters).where(eq(deadLetters.jobId, id)),
  ]);
  const row = updated[0];
  if (!row) throw new ApiError(409, "invalid_state", "the job changed state meanwhile; try again");
  await dispatchOrLeaveToSweeper(env, [{ id, priority: row.priority as Priority, runAt: now }], now);
  if (row.watched === 1) await publish(env, id, [{ type: "status", status: "queued", attempt: 0 }]);
  return row;
}

/**
 * Terminates a claimed durable job's Workflow instance. The consumer creates the instance just
 * after its claim, so a cancel can land in between and find none: it then creates one under the
 * same id that does nothing, and the consumer's create fails instead of starting the job.
 */
async function stopWorkflow(env: Env, jobId: string, series: number) {
  const id = workflowInstanceId(jobId, series);
  try {
    await (await env.DURABLE_JOB.get(id)).terminate();
    return;
  } catch (err) {
    if (!String(err).includes("not_found")) {
      console.warn(`terminating the workflow of ${jobId} failed (it may have ended already)`, err);
      return;
    }
  }
  try {
    await env.DURABLE_JOB.create({ id, params: { jobId, series, claimToken: "", cancelled: true } });
  } catch {
    // The consumer got there first after all: terminate its instance.
    await (await env.DURABLE_JOB.get(id)).terminate().catch((err: unknown) => console.warn(`terminating the workflow of ${jobId} failed`, err));
  }
}
