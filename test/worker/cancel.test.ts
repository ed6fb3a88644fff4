import { describe, expect, it } from "vitest";
import type { Job } from "../../src/schemas/job";
import { workflowInstanceId } from "../../src/workflows/instance";
import {
  attemptsOf,
  closedWithin,
  deliver,
  insertJob,
  insertRunningAttempt,
  logsOf,
  sleep,
  watch,
} from "./engine-helpers";
import { api, env, getJob, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

const cancel = async (key: string, id: string) => api(`/jobs/${id}/cancel`, { key, method: "POST" });

describe("cancelling jobs", () => {
  it("cancels a queued job, which then never runs even when its message is delivered", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, delayMs: 3_600_000 });
    const cancelled = await json<Job>(await cancel(key, job.id), 200);
    expect(cancelled).toMatchObject({ id: job.id, status: "cancelled", attempts: 0 });
    expect(cancelled.finishedAt).not.toBeNull();

    const { result, ids } = await deliver([{ ids: [job.id] }]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await getJob(key, job.id)).toMatchObject({ status: "cancelled", attempts: 0, startedAt: null });
    expect(await attemptsOf(key, job.id)).toEqual([]);
  });

  it("cancels a running direct job: its attempt is cancelled and its work stops", async () => {
    const { key } = await newTenant();
    const steps = 20;
    const job = await submit(key, { type: "simulate", input: { steps, stepMs: 250 }, delayMs: 1_000 });
    const watcher = await watch(key, job.id);
    await watcher.waitFor((m) => m.type === "progress");
    expect((await getJob(key, job.id)).status).toBe("running");

    const cancelled = await json<Job>(await cancel(key, job.id), 200);
    expect(cancelled).toMatchObject({ status: "cancelled", attempts: 1 });
    const [attempt] = await attemptsOf(key, job.id);
    expect(attempt).toMatchObject({ attempt: 1, outcome: "cancelled" });
    expect(attempt!.finishedAt).not.toBeNull();
    // Watchers hear of it and are let go.
    expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });
    expect(watcher.messages.at(-1)).toMatchObject({ type: "status", status: "cancelled" });

    // Long enough for the job to have finished all its steps had it not been stopped.
    await sleep(steps * 250 + 1_500);
    const after = await getJob(key, job.id);
    expect(after).toMatchObject({ status: "cancelled", attempts: 1, result: null });
    expect(after.progress.percent).toBeLessThan(100);
    expect(await attemptsOf(key, job.id)).toEqual([attempt]);
    // The runner keeps publishing progress while it runs: the event log shows it stopped
    // (ctx.signal aborted at its next heartbeat) well before the last step.
    const log = await watch(key, job.id, "?after=0");
    await closedWithin(log);
    const progress = log.messages.filter((m) => m.type === "progress").map((m) => m.percent as number);
    expect(progress.length).toBeGreaterThan(0);
    expect(Math.max(...progress)).toBeLessThan(100);
  });

  it("cancels a running durable job and terminates its Workflow instance", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 20, stepMs: 300, durable: true } });
    expect(job.durable).toBe(true);
    await waitFor(
      () => getJob(key, job.id),
      (j) => j.status === "running" && j.progress.percent > 0,
    );
    const instance = await env.DURABLE_JOB.get(workflowInstanceId(job.id, 0));
    expect(["running", "waiting", "queued"]).toContain((await instance.status()).status);

    const cancelled = await json<Job>(await cancel(key, job.id), 200);
    expect(cancelled).toMatchObject({ status: "cancelled" });
    expect((await env.DURABLE_JOB.get(`${job.id}-s0`).then((i) => i.status())).status).toBe("terminated");
    expect((await attemptsOf(key, job.id)).map((a) => a.outcome)).toEqual(["cancelled"]);

    // Long enough for all 20 steps had the instance gone on.
    await sleep(20 * 300 + 1_500);
    expect((await instance.status()).status).toBe("terminated");
    const after = await getJob(key, job.id);
    expect(after).toMatchObject({ status: "cancelled", result: null });
    expect(after.progress.percent).toBeLessThan(100);
    expect((await attemptsOf(key, job.id)).map((a) => a.outcome)).toEqual(["cancelled"]);
    const logs = await logsOf(key, job.id);
    expect(logs).toContain("step 1 ran on attempt 1");
    expect(logs).not.toContain("step 20 ran on attempt 1");
  });

  it("a durable job cancelled between its claim and the start of its Workflow never runs its steps", async () => {
    const { key, tenant } = await newTenant();
    // The consumer's two moves, with a cancel in between: it claims the job (D1) ...
    const now = Date.now();
    const claimToken = `claim_${crypto.randomUUID()}`;
    const job = await insertJob(
      tenant,
      { type: "simulate", input: { steps: 2, stepMs: 10, durable: true } },
      { status: "running", attempts: 1, startedAt: now, heartbeatAt: now, claimToken, dispatchDueAt: null },
    );
    await insertRunningAttempt(job.id, 0, 1, now);
    await json(await cancel(key, job.id), 200);
    // ... then creates the instance, exactly as consumer.ts does: the cancel took the id first.
    const id = workflowInstanceId(job.id, 0);
    const { errors } = await env.DURABLE_JOB.createBatch({ instances: [{ id, params: { jobId: job.id, series: 0, claimToken } }] });
    expect(errors).toHaveLength(1);
    const instance = await env.DURABLE_JOB.get(id);
    await waitFor(() => instance.status(), (s) => s.status === "complete");
    expect((await instance.status()).output).toEqual({ status: "cancelled", attempt: 0 });
    expect(await getJob(key, job.id)).toMatchObject({ status: "cancelled", result: null });
    // The job's code must not run for a job that is no longer claimed.
    expect(await logsOf(key, job.id)).toEqual([]);
  });

  it("refuses to cancel a completed job with 409 invalid_state", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, job.id, ["completed"]);
    const refused = await json(await cancel(key, job.id), 409);
    expect(refused).toMatchObject({ error: { code: "invalid_state" } });
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed" });
  });

  it("refuses to cancel a cancelled job again, and 404s another tenant's job", async () => {
    const { key } = await newTenant();
    const other = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
    await json(await cancel(other.key, job.id), 404);
    expect((await getJob(key, job.id)).status).toBe("queued");
    await json(await cancel(key, job.id), 200);
    expect(await json(await cancel(key, job.id), 409)).toMatchObject({ error: { code: "invalid_state" } });
  });

  it("runs a cancelled job again on retry, to completion", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 2, stepMs: 10 }, delayMs: 3_600_000 });
    await json(await cancel(key, job.id), 200);

    const retried = await json<Job>(await api(`/jobs/${job.id}/retry`, { key, method: "POST" }), 202);
    expect(retried).toMatchObject({ status: "queued", attempts: 0, finishedAt: null });
    // The retry runs now, not at the original runAt an hour away.
    expect(Date.parse(retried.runAt)).toBeLessThanOrEqual(Date.now());
    const done = await waitForStatus(key, job.id, ["completed", "failed", "cancelled"]);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { steps: 2, attempt: 1 } });
    expect((await attemptsOf(key, job.id)).map((a) => [a.series, a.attempt, a.outcome])).toEqual([[1, 1, "succeeded"]]);
  });

  it("runs a cancelled running job again on retry, as a new series", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 8, stepMs: 250 } });
    await waitForStatus(key, job.id, ["running"]);
    await json(await cancel(key, job.id), 200);
    await json(await api(`/jobs/${job.id}/retry`, { key, method: "POST" }), 202);
    const done = await waitForStatus(key, job.id, ["completed", "failed"], 30_000);
    expect(done).toMatchObject({ status: "completed", attempts: 1 });
    expect((await attemptsOf(key, job.id)).map((a) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "cancelled"],
      [1, 1, "succeeded"],
    ]);
  });
});
