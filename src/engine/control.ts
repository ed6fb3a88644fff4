import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { jobs } from "../db/schema";
import { ConflictError, NotFoundError } from "../errors";
import { assertRoom } from "../quotas/check";
import { workflowInstanceId } from "../workflows/instance";
import { dispatchOrLeaveToSweeper } from "./dispatch";
import { TERMINAL } from "./events";
import type { Priority } from "./lanes";
import type { JobRow } from "./store/columns";
import { afterMoves } from "./store/moves";
import { cancel, requeue } from "./store/transitions";

export async function findJob(db: Database, tenant: string, id: string): Promise<JobRow> {
  const row = await db.select().from(jobs).where(and(eq(jobs.id, id), eq(jobs.tenant, tenant))).get();
  if (!row) throw new NotFoundError(`job ${id}`);
  return row;
}

/**
 * Cancels a job that has not finished. A queued job never runs; a running one has its Workflow
 * terminated or, in the queue consumer, its `ctx.signal` aborted at the next heartbeat.
 */
export async function cancelJob(env: Env, db: Database, tenant: string, id: string, now = Date.now()): Promise<JobRow> {
  const job = await findJob(db, tenant, id);
  if (TERMINAL.has(job.status)) throw new ConflictError("invalid_state", `job is already ${job.status}`);
  const row = await cancel(db, job, now);
  if (!row) throw new ConflictError("invalid_state", "job finished before it could be cancelled");
  if (row.durable === 1 && (job.status === "running" || job.status === "retrying")) await stopWorkflow(env, id, job.series);
  // Its slot (or its place in line) is free for the next waiting job.
  await afterMoves(env, [row], now);
  return row;
}

/** failed|cancelled -> queued as a fresh attempt series; also takes the job off the dead-letter list. */
export async function requeueJob(env: Env, db: Database, tenant: string, id: string, now = Date.now()): Promise<JobRow> {
  const job = await findJob(db, tenant, id);
  if (job.status !== "failed" && job.status !== "cancelled") {
    throw new ConflictError("invalid_state", `only failed or cancelled jobs can run again; this one is ${job.status}`);
  }
  // Running again makes it live again: it counts against the live-jobs quota as a new submission does.
  await assertRoom(env, tenant, "liveJobs", 1);
  const row = await requeue(db, id, now);
  if (!row) throw new ConflictError("invalid_state", "the job changed state meanwhile; try again");
  await dispatchOrLeaveToSweeper(env, [{ id, priority: row.priority as Priority, runAt: now }], now);
  await afterMoves(env, [row], now);
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
