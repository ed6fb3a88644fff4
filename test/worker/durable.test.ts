import { introspectWorkflowInstance } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DISPATCH_GRACE_MS, DURABLE_QUIET_MS, STUCK_GRACE_MS } from "../../src/engine/sweeper";
import { workflowInstanceId } from "../../src/workflows/instance";
import { attemptsOf, closedWithin, deliver, insertJob, jobRow, logsOf, sweepEveryShard, updateJobRow, watch } from "./engine-helpers";
import { api, env, getJob, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

async function instanceStatus(jobId: string, series = 0) {
  return (await (await env.DURABLE_JOB.get(workflowInstanceId(jobId, series))).status()).status;
}

describe("durable jobs run as Workflows", () => {
  it("runs a durable simulate job in its Workflow instance to completion, reporting progress", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 3, stepMs: 50, durable: true }, delayMs: 500 });
    expect(job).toMatchObject({ durable: true, status: "queued" });
    const watcher = await watch(key, job.id);

    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({
      status: "completed",
      attempts: 1,
      result: { steps: 3, attempt: 1 },
      progress: { percent: 100, stage: "step 3/3" },
    });
    expect(await instanceStatus(job.id)).toBe("complete");
    expect((await attemptsOf(key, job.id)).map((a) => [a.series, a.attempt, a.outcome])).toEqual([[0, 1, "succeeded"]]);

    // Progress went out live from inside the Workflow.
    expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });
    const progress = watcher.messages.filter((m) => m.type === "progress");
    expect(progress.map((m) => Math.round(m.percent))).toEqual([33, 67, 100]);
    expect(progress.map((m) => m.stage)).toEqual(["step 1/3", "step 2/3", "step 3/3"]);
    expect(watcher.messages.at(-1)).toMatchObject({ type: "status", status: "completed", attempt: 1 });
  });

  it("tells a watcher about the retry of a durable job live: its running status and its progress", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 2, stepMs: 50, durable: true, failUntilAttempt: 2, failAtStep: 2 },
      backoff: { type: "fixed", baseMs: 200 },
      delayMs: 500,
    });
    const watcher = await watch(key, job.id);
    await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });
    const statuses = watcher.messages.filter((m) => m.type === "status").map((m) => [m.status, m.attempt]);
    expect(statuses).toEqual([["running", 1], ["retrying", 1], ["running", 2], ["completed", 2]]);
    // Step 1's checkpoint is reused, so attempt 2 shows only what lies past it.
    const progress = watcher.messages.filter((m) => m.type === "progress").map((m) => [m.attempt, Math.round(m.percent)]);
    expect(progress).toEqual([[1, 50], [2, 100]]);
  });

  it("does not re-run steps that succeeded when a later step fails and the job retries", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 3, stepMs: 10, durable: true, failUntilAttempt: 2, failAtStep: 3 },
      backoff: { type: "fixed", baseMs: 100 },
    });
    const done = await waitForStatus(key, job.id, ["completed", "failed"], 30_000);
    expect(done).toMatchObject({ status: "completed", attempts: 2, result: { steps: 3, attempt: 2 } });

    expect(await logsOf(key, job.id)).toEqual([
      "step 1 ran on attempt 1",
      "step 2 ran on attempt 1",
      "step 3 ran on attempt 1",
      "step 3 ran on attempt 2",
    ]);
    const attempts = await attemptsOf(key, job.id);
    expect(attempts.map((a) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "failed"],
      [0, 2, "succeeded"],
    ]);
    expect(attempts[0]!.error).toMatchObject({ name: "Error", message: "simulated failure on attempt 1" });
    // Both attempts ran in the one instance of series 0, which shares their step records.
    expect(await instanceStatus(job.id)).toBe("complete");
    await expect(instanceStatus(job.id, 1)).rejects.toThrow();
  });

  it("sleeps durably between steps with ctx.sleep", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 2, stepMs: 0, durable: true, pauseMs: 1_000 } });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { steps: 2, attempt: 1 } });
    expect(Date.parse(done.finishedAt!) - Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(1_000);
    expect(await logsOf(key, job.id)).toEqual(["step 1 ran on attempt 1", "step 2 ran on attempt 1"]);
  });

  it("refuses ctx.sleep for a job that does not run as a Workflow", async () => {
    const { key } = await newTenant();
    const res = await api("/jobs", { key, body: { type: "simulate", input: { steps: 2, pauseMs: 100 } } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error.details).toEqual([
      { path: "input.pauseMs", message: "pauseMs is a durable sleep: set durable: true" },
    ]);
  });

  it("fails a durable job for good on a NonRetryableError in a step", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 2, stepMs: 0, durable: true, failUntilAttempt: 3, failAtStep: 2, nonRetryable: true },
    });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError", retryable: false } });
    expect(await logsOf(key, job.id)).toEqual(["step 1 ran on attempt 1", "step 2 ran on attempt 1"]);
    expect(await instanceStatus(job.id)).toBe("complete");
  });

  it("runs a retried durable job in a new instance, as a new series", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 2, stepMs: 0, durable: true, failUntilAttempt: 2, failAtStep: 2, nonRetryable: true },
    });
    await waitForStatus(key, job.id, ["failed"]);
    await updateJobRow(job.id, { input: JSON.stringify({ steps: 2, stepMs: 0, durable: true }) });
    await api(`/jobs/${job.id}/retry`, { key, method: "POST" });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { steps: 2, attempt: 1 } });
    expect(await instanceStatus(job.id, 1)).toBe("complete");
    expect((await attemptsOf(key, job.id)).map((a) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "failed"],
      [1, 1, "succeeded"],
    ]);
    // A new series shares no step records with the old one: every step runs again.
    expect(await logsOf(key, job.id)).toEqual([
      "step 1 ran on attempt 1",
      "step 2 ran on attempt 1",
      "step 1 ran on attempt 1",
      "step 2 ran on attempt 1",
    ]);
  });
});

describe("crashes inside the Workflow", () => {
  /** A durable job whose message the test delivers itself, once the instance is being introspected. */
  async function durableJob(tenant: string, input: Record<string, unknown>) {
    return insertJob(tenant, { type: "simulate", input: { steps: 3, stepMs: 10, durable: true, ...input } });
  }

  it.each([
    ["an error thrown by the step", "error"],
    ["a step timeout", "timeout"],
  ] as const)("re-runs only the crashed step after %s, never the ones before it", async (_, crash) => {
    const { key, tenant } = await newTenant();
    const job = await durableJob(tenant, {});
    const instance = await introspectWorkflowInstance(env.DURABLE_JOB, workflowInstanceId(job.id, 0));
    try {
      await instance.modify(async (m) => {
        if (crash === "error") await m.mockStepError({ name: "step-2" }, new Error("the isolate went away"), 1);
        else await m.forceStepTimeout({ name: "step-2" }, 1);
        await m.disableRetryDelays();
      });
      await deliver([{ ids: [job.id] }]);
      await instance.waitForStatus("complete");
      expect(await instance.getOutput()).toEqual({ status: "completed", attempt: 1 });
    } finally {
      await instance.dispose();
    }

    const done = await getJob(key, job.id);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { steps: 3, attempt: 1 } });
    // The crashed try of step 2 never reached the job's code; the Workflow's retry did, once.
    expect(await logsOf(key, job.id)).toEqual([
      "step 1 ran on attempt 1",
      "step 2 ran on attempt 1",
      "step 3 ran on attempt 1",
    ]);
    expect((await attemptsOf(key, job.id)).map((a) => a.outcome)).toEqual(["succeeded"]);
  });

  it("keeps step 1's result when step 2 keeps crashing until the attempt fails, and the next attempt resumes", async () => {
    const { key, tenant } = await newTenant();
    const job = await durableJob(tenant, {});
    const instance = await introspectWorkflowInstance(env.DURABLE_JOB, workflowInstanceId(job.id, 0));
    try {
      await instance.modify(async (m) => {
        // Every Workflow-level try of the first `step-2` fails; the retry attempt's `step-2` is a new step.
        await m.mockStepError({ name: "step-2" }, new Error("the isolate went away"));
        await m.disableRetryDelays();
        await m.disableSleeps();
      });
      await deliver([{ ids: [job.id] }]);
      await instance.waitForStatus("complete");
      expect(await instance.getOutput()).toEqual({ status: "completed", attempt: 2 });
    } finally {
      await instance.dispose();
    }

    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 2, result: { steps: 3, attempt: 2 } });
    expect(await logsOf(key, job.id)).toEqual([
      "step 1 ran on attempt 1",
      "step 2 ran on attempt 2",
      "step 3 ran on attempt 2",
    ]);
    const attempts = await attemptsOf(key, job.id);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    expect(attempts[0]!.error?.message).toContain("the isolate went away");
  });
});

describe("the sweeper and durable jobs", () => {
  it("runs a durable job again in a new series when its Workflow instance ended without settling it", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 30, stepMs: 200, durable: true } });
    await waitFor(
      () => getJob(key, job.id),
      (j) => j.status === "running" && j.progress.percent > 0,
    );
    // The instance dies behind the job's back (not through the cancel API), and the row goes quiet.
    await (await env.DURABLE_JOB.get(workflowInstanceId(job.id, 0))).terminate();
    await updateJobRow(job.id, { heartbeatAt: Date.now() - DURABLE_QUIET_MS - 1_000, input: JSON.stringify({ steps: 2, stepMs: 10, durable: true }) });

    const report = await sweepEveryShard(Date.now());
    expect(report.durable).toBeGreaterThanOrEqual(1);
    const row = await jobRow(job.id);
    // Waiting to go on under a new instance (the next series); the lost attempt counts.
    expect(["queued", "retrying"]).toContain(row.status);
    expect(row).toMatchObject({ series: 1, attempts: 1, claimToken: null });
    expect(JSON.parse(row.error!)).toMatchObject({ name: "WorkflowLost", message: "workflow instance ended as terminated" });
    expect((await attemptsOf(key, job.id))[0]).toMatchObject({
      series: 0,
      attempt: 1,
      outcome: "failed",
      error: { name: "WorkflowLost" },
    });

    // The sweep announced it again at once; the new series runs in a new instance.
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", attempts: 2, result: { steps: 2, attempt: 2 } });
    expect(await instanceStatus(job.id, 1)).toBe("complete");
    expect((await attemptsOf(key, job.id)).map((a) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "failed"],
      [1, 2, "succeeded"],
    ]);
  });

  it("leaves a quiet durable job alone while its instance is alive", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 20, stepMs: 200, durable: true } });
    await waitForStatus(key, job.id, ["running"]);
    const quietSince = Date.now() - DURABLE_QUIET_MS - 1_000;
    await updateJobRow(job.id, { heartbeatAt: quietSince });
    const report = await sweepEveryShard(Date.now());
    expect(report.durable).toBe(0);
    expect(await jobRow(job.id)).toMatchObject({ status: "running", series: 0, attempts: 1, error: null });
    expect(quietSince).toBeLessThan(Date.now());
    expect(await instanceStatus(job.id)).toBe("running");
    await api(`/jobs/${job.id}/cancel`, { key, method: "POST" });
  });

  it("treats a live instance whose job shows no heartbeat or step past its time limit as lost, and goes on from the first unfinished step", async () => {
    const { key } = await newTenant();
    const input = { steps: 3, stepMs: 50, pauseMs: 3_000, durable: true };
    const job = await submit(key, { type: "simulate", input, timeoutMs: 20_000 });
    await waitFor(() => getJob(key, job.id), (j) => j.status === "running" && j.progress.percent > 30);
    const watcher = await watch(key, job.id);
    // Its runtime froze (as after a crash the instance still says it is alive): the row has shown
    // no heartbeat or step for longer than the time limit.
    await updateJobRow(job.id, { heartbeatAt: Date.now() - 20_000 - STUCK_GRACE_MS - 1_000 });
    expect(["running", "waiting"]).toContain(await instanceStatus(job.id, 0));

    const report = await sweepEveryShard(Date.now());
    expect(report.durable).toBe(1);
    expect(await instanceStatus(job.id, 0)).toBe("terminated");
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", attempts: 2, result: { steps: 3, attempt: 2 } });
    expect((await jobRow(job.id)).series).toBe(1);
    // Step 1 had finished before the loss: the new instance went on from step 2.
    expect((await logsOf(key, job.id)).filter((m) => m.startsWith("step "))).toEqual([
      "step 1 ran on attempt 1",
      "step 2 ran on attempt 2",
      "step 3 ran on attempt 2",
    ]);
    expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });
    const statuses = watcher.messages.filter((m) => m.type === "status").map((m) => m.status);
    expect(statuses).toEqual(["queued", "running", "completed"]);
  });

  it("fails a durable job whose instance is lost on its last attempt, tells its watcher, and never requeues it", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 30, stepMs: 200, durable: true }, maxAttempts: 1 });
    await waitFor(() => getJob(key, job.id), (j) => j.status === "running" && j.progress.percent > 0);
    const watcher = await watch(key, job.id);
    await (await env.DURABLE_JOB.get(workflowInstanceId(job.id, 0))).terminate();
    await updateJobRow(job.id, { heartbeatAt: Date.now() - DURABLE_QUIET_MS - 1_000 });

    expect((await sweepEveryShard(Date.now())).durable).toBe(1);
    expect(await jobRow(job.id)).toMatchObject({ status: "failed", series: 0, attempts: 1 });
    const dead = await json<{ items: { job: { id: string } }[] }>(await api("/dead-letters", { key }), 200);
    expect(dead.items.map((d) => d.job.id)).toContain(job.id);
    expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });
    expect(watcher.messages.at(-1)).toMatchObject({ type: "status", status: "failed", error: { name: "WorkflowLost" } });
    await sweepEveryShard(Date.now() + DISPATCH_GRACE_MS + 1_000);
    expect(await jobRow(job.id)).toMatchObject({ status: "failed", series: 0, attempts: 1 });
  });
});
