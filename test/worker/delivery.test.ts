import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_JOBS_PER_INVOCATION } from "../../src/engine/consumer";
import { JOB_MESSAGE_VERSION, MAX_DELAY_SECONDS, MAX_JOBS_PER_MESSAGE, dispatch } from "../../src/engine/dispatch";
import { laneBinding } from "../../src/engine/lanes";
import { metered } from "../../src/engine/metering";
import { STUCK_GRACE_MS } from "../../src/engine/sweeper";
import {
  attemptsOf,
  deliver,
  handler,
  insertJob,
  insertRunningAttempt,
  jobRow,
  sleep,
  sweepEveryShard,
  updateJobRow,
} from "./engine-helpers";
import { ADMIN_KEY, api, env, envOf, getJob, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

const quick = { type: "simulate", input: { steps: 1, stepMs: 20 } };
const ORDER = ["queued", "running", "completed"];

/** Samples a job's status until `done` settles; returns what was seen, in order. */
function recordStatuses(key: string, id: string, done: Promise<unknown>) {
  const seen: string[] = [];
  let finished = false;
  const stop = () => (finished = true);
  done.then(stop, stop);
  const sampling = (async () => {
    while (!finished) {
      seen.push((await getJob(key, id)).status);
      await sleep(5);
    }
    seen.push((await getJob(key, id)).status);
    return seen;
  })();
  return sampling;
}

function expectNeverRegressed(statuses: string[]) {
  const ranks = statuses.map((s) => ORDER.indexOf(s));
  expect(ranks.every((r) => r >= 0), statuses.join(",")).toBe(true);
  expect(ranks, statuses.join(",")).toEqual([...ranks].sort((a, b) => a - b));
}

describe("at-least-once delivery runs a job once", () => {
  it("runs a job once when one batch carries its message twice", async () => {
    const { key, tenant } = await newTenant();
    const job = await insertJob(tenant, quick);
    const { result, ids } = await deliver([{ ids: [job.id] }, { ids: [job.id] }]);

    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(result.retryMessages).toEqual([]);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 1, result: { steps: 1, attempt: 1 } });
    expect(await attemptsOf(key, job.id)).toHaveLength(1);
  });

  it("runs a job once when its message comes in two batches, one after the other", async () => {
    const { key, tenant } = await newTenant();
    const job = await insertJob(tenant, quick);
    const first = await deliver([{ ids: [job.id] }]);
    expect(first.result.explicitAcks).toEqual(first.ids);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 1 });

    const second = await deliver([{ ids: [job.id] }]);
    expect(second.result.explicitAcks).toEqual(second.ids);
    expect(second.result.retryMessages).toEqual([]);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 1 });
    expect(await attemptsOf(key, job.id)).toHaveLength(1);
  });

  it("runs a job once when two batches with its message are consumed concurrently", async () => {
    const { key, tenant } = await newTenant();
    const job = await insertJob(tenant, { type: "simulate", input: { steps: 3, stepMs: 100 } });
    const both = Promise.all([deliver([{ ids: [job.id] }]), deliver([{ ids: [job.id] }])]);
    const statuses = await recordStatuses(key, job.id, both);
    const [a, b] = await both;

    for (const d of [a, b]) {
      expect(d.result.explicitAcks).toEqual(d.ids);
      expect(d.result.retryMessages).toEqual([]);
    }
    const done = await getJob(key, job.id);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { steps: 3, attempt: 1 } });
    const attempts = await attemptsOf(key, job.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ series: 0, attempt: 1, outcome: "succeeded" });
    expectNeverRegressed(statuses);
  });

  it("leaves a durable job that waits out its backoff to its own Workflow, even when a stray message arrives", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 1, stepMs: 0, durable: true, failUntilAttempt: 2 },
      backoff: { type: "fixed", baseMs: 4_000 },
    });
    await waitForStatus(key, job.id, ["retrying"]);
    // The backoff is over (as when the Workflow's timer fires a little late) and a late duplicate
    // of the job's original message comes in before the Workflow claims attempt 2.
    await updateJobRow(job.id, { runAt: Date.now() - 1 });
    const { result, ids } = await deliver([{ ids: [job.id] }]);
    expect(result.explicitAcks).toEqual(ids);

    // Attempt 2 belongs to the Workflow instance that runs the series: the consumer must not claim it.
    expect(await jobRow(job.id)).toMatchObject({ status: "retrying", attempts: 1, claimToken: null });
    const done = await waitForStatus(key, job.id, ["completed", "failed"], 20_000);
    expect(done).toMatchObject({ status: "completed", attempts: 2 });
    expect((await attemptsOf(key, job.id)).map((a) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "failed"],
      [0, 2, "succeeded"],
    ]);
  });

  it("acks a message for a completed job and changes nothing", async () => {
    const { key } = await newTenant();
    const job = await submit(key, quick);
    const done = await waitForStatus(key, job.id, ["completed"]);
    const before = await jobRow(job.id);

    const { result, ids } = await deliver([{ ids: [job.id] }]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await jobRow(job.id)).toEqual(before);
    expect(await getJob(key, job.id)).toEqual(done);
    expect(await attemptsOf(key, job.id)).toHaveLength(1);
  });

  it("acks a message for a cancelled job and never runs it", async () => {
    const { key, tenant } = await newTenant();
    const job = await insertJob(tenant, quick);
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
    const before = await jobRow(job.id);

    const { result, ids } = await deliver([{ ids: [job.id] }, { ids: [job.id] }]);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(await jobRow(job.id)).toEqual(before);
    expect(await getJob(key, job.id)).toMatchObject({ status: "cancelled", attempts: 0, startedAt: null });
    expect(await attemptsOf(key, job.id)).toEqual([]);
  });

  it("acks and drops malformed messages without touching good ones", async () => {
    const { key, tenant } = await newTenant();
    const job = await insertJob(tenant, quick);
    const { result, ids } = await deliver(["not json at all", { ids: [""] }, { jobId: job.id }, null, 42, { ids: [job.id] }]);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(result.retryMessages).toEqual([]);
    expect(result.retryBatch.retry).toBe(false);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("consumes the message shape this version sends and the previous one, and leaves a newer one on the queue", async () => {
    const { key, tenant } = await newTenant();
    const [current, previous, newer] = [await insertJob(tenant, quick), await insertJob(tenant, quick), await insertJob(tenant, quick)];
    const { result, ids } = await deliver([
      { v: JOB_MESSAGE_VERSION, ids: [current.id] },
      // Version 1, sent before messages carried a version or named their database.
      { ids: [previous.id] },
      { v: JOB_MESSAGE_VERSION + 1, ids: [newer.id], db: "DB", somethingNew: true },
    ]);
    expect(result.explicitAcks.sort()).toEqual([ids[0], ids[1]].sort());
    expect(result.retryMessages).toMatchObject([{ msgId: ids[2] }]);
    for (const job of [current, previous]) expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 1 });
    expect(await getJob(key, newer.id)).toMatchObject({ status: "queued", attempts: 0 });
  });

  it("retries a fresh message whose job is not in D1 yet (its submit is still writing)", async () => {
    const { result, ids } = await deliver([{ ids: ["job_NOT_WRITTEN_YET"] }]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toMatchObject([{ msgId: ids[0] }]);
  });

  it("acks an old message for an unknown job id", async () => {
    const { result, ids } = await deliver([{ ids: ["job_DOES_NOT_EXIST"] }], "jobs-normal", new Date(Date.now() - 120_000));
    expect(result.explicitAcks).toEqual(ids);
    expect(result.retryMessages).toEqual([]);
  });

  it("does not run a job early when its message arrives before runAt, and announces it again", async () => {
    const { key, tenant } = await newTenant();
    const runAt = Date.now() + 60 * 60_000;
    const job = await insertJob(tenant, quick, { runAt });

    const { result, ids } = await deliver([{ ids: [job.id] }]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", attempts: 0, startedAt: null });
    expect(await attemptsOf(key, job.id)).toEqual([]);
    // A new message was sent for the remaining delay: the job now expects it around runAt.
    const row = await jobRow(job.id);
    expect(row.dispatchDueAt).not.toBeNull();
    expect(Math.abs(row.dispatchDueAt! - runAt)).toBeLessThanOrEqual(1_000);
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
  });

  it("holds a job due in three days with 12-hour queue delays, re-delayed at each delivery", async () => {
    const { key } = await newTenant();
    const delayMs = 3 * 24 * 3_600_000;
    const job = await submit(key, { ...quick, delayMs });
    const runAt = Date.parse(job.runAt);
    // A queue message can wait at most 12 hours, so the first one is due then, not at runAt.
    const first = await jobRow(job.id);
    expect(first.dispatchDueAt! - first.createdAt).toBe(MAX_DELAY_SECONDS * 1000);

    await deliver([{ ids: [job.id] }]);
    const again = await jobRow(job.id);
    expect(again).toMatchObject({ status: "queued", attempts: 0 });
    expect(again.dispatchDueAt).toBeGreaterThan(first.createdAt);
    expect(again.dispatchDueAt!).toBeLessThan(runAt);
    expect(again.dispatchDueAt! - Date.now()).toBeLessThanOrEqual(MAX_DELAY_SECONDS * 1000);
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
  });
});

describe("messages that announce many jobs", () => {
  it("dispatch puts jobs due together on the same queue into shared messages of up to a hundred", async () => {
    const { key, tenant } = await newTenant();
    const due = await Promise.all(Array.from({ length: 250 }, () => insertJob(tenant, quick)));
    const now = Date.now();
    const later = await insertJob(tenant, quick, { runAt: now + 60_000 });
    const { env: counted, usage } = metered(envOf(tenant));
    await dispatch(counted, [...due, later].map((j) => ({ id: j.id, priority: "normal" as const, runAt: j.runAt })), now);

    const perShard = Map.groupBy(due, (j) => laneBinding("normal", j.id));
    const expected = [...perShard.values()].reduce((n, jobs) => n + Math.ceil(jobs.length / MAX_JOBS_PER_MESSAGE), 0) + 1;
    expect(usage.queueMessagesSent).toBe(expected);
    expect(expected).toBeLessThan(10);
    for (const job of due) await waitForStatus(key, job.id, ["completed"]);
    await api(`/jobs/${later.id}/cancel`, { key, method: "POST" });
  });

  it("runs every job a message names and acks the message once they are all settled", async () => {
    const { key, tenant } = await newTenant();
    const jobs = await Promise.all([1, 2, 3].map(() => insertJob(tenant, quick)));
    const { result, ids } = await deliver([{ ids: jobs.map((j) => j.id) }]);
    expect(result.explicitAcks).toEqual(ids);
    for (const job of jobs) expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("retries a message when one of its jobs is not in D1 yet, and the redelivery does not run the others again", async () => {
    const { key, tenant } = await newTenant();
    const job = await insertJob(tenant, quick);
    const body = { ids: [job.id, "job_NOT_WRITTEN_YET"] };
    const first = await deliver([body]);
    expect(first.result.explicitAcks).toEqual([]);
    expect(first.result.retryMessages).toMatchObject([{ msgId: first.ids[0] }]);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 1 });

    await deliver([body]);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", attempts: 1 });
    expect(await attemptsOf(key, job.id)).toHaveLength(1);
  });

  it("announces again the messages beyond one invocation's share, and their jobs still run", async () => {
    const { key, tenant } = await newTenant();
    const spare = await Promise.all(Array.from({ length: 100 }, () => insertJob(tenant, quick)));
    const gone = (m: number) => Array.from({ length: 100 }, (_, i) => `job_GONE_${m}_${i}`);
    const full = Array.from({ length: MAX_JOBS_PER_INVOCATION / 100 }, (_, m) => ({ ids: gone(m) }));
    // Old messages: ids D1 does not know are dropped at once rather than waited for.
    const { result, ids } = await deliver([...full, { ids: spare.map((j) => j.id) }], "jobs-normal", new Date(Date.now() - 120_000));
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    for (const job of spare) expect((await jobRow(job.id)).attempts).toBe(0);
    for (const job of spare) await waitForStatus(key, job.id, ["completed"]);
  });
});

describe("paused lanes", () => {
  afterEach(async () => {
    await api("/queues/normal/resume", { method: "POST", key: ADMIN_KEY });
  });

  it("keeps jobs of a paused lane queued, shows them in the depth, and runs them on resume", async () => {
    const { key } = await newTenant();
    const paused = await json(await api("/queues/normal/pause", { method: "POST", key: ADMIN_KEY }), 200);
    expect(paused).toEqual({ lane: "normal", paused: true });
    // Pausing needs the admin scope.
    await json(await api("/queues/normal/pause", { method: "POST", key }), 403);

    const jobs = [await submit(key, quick), await submit(key, quick)];
    const other = await submit(key, { ...quick, priority: "high" });
    // The messages are consumed and the jobs parked: no message is due for them any more.
    for (const j of jobs) await waitFor(() => jobRow(j.id), (row) => row.dispatchDueAt === null);
    await waitForStatus(key, other.id, ["completed"]);
    for (const j of jobs) expect(await getJob(key, j.id)).toMatchObject({ status: "queued", attempts: 0 });

    const lanes = await json<{ scope: string; items: { lane: string; paused: boolean; depth: number }[] }>(
      await api("/queues", { key }),
      200,
    );
    expect(lanes.scope).toBe("tenant");
    expect(lanes.items.find((l) => l.lane === "normal")).toMatchObject({ paused: true, depth: 2, scheduled: 0, inFlight: 0 });
    expect(lanes.items.find((l) => l.lane === "high")).toMatchObject({ paused: false, depth: 0 });

    // Still queued a while later: nothing runs them behind the pause.
    await sleep(1_500);
    for (const j of jobs) expect((await getJob(key, j.id)).status).toBe("queued");

    expect(await json(await api("/queues/normal/resume", { method: "POST", key: ADMIN_KEY }), 200)).toEqual({
      lane: "normal",
      paused: false,
    });
    for (const j of jobs) {
      expect(await waitForStatus(key, j.id, ["completed", "failed"])).toMatchObject({ status: "completed", attempts: 1 });
    }
    const after = await json<{ items: { lane: string; paused: boolean; depth: number }[] }>(await api("/queues", { key }), 200);
    expect(after.items.find((l) => l.lane === "normal")).toMatchObject({ paused: false, depth: 0 });
  });
});

describe("the sweeper", () => {
  it("re-dispatches a queued job whose message was lost, and it completes", async () => {
    const { key, tenant } = await newTenant();
    const now = Date.now();
    const job = await insertJob(tenant, quick, { runAt: now - 120_000, dispatchDueAt: now - 120_000 });
    await sleep(500);
    expect((await getJob(key, job.id)).status).toBe("queued");

    const report = await sweepEveryShard(Date.now());
    expect(report.redispatched).toBeGreaterThanOrEqual(1);
    expect(await waitForStatus(key, job.id, ["completed", "failed"])).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("the cron trigger does the same through the worker's scheduled handler", async () => {
    const { key, tenant } = await newTenant();
    const now = Date.now();
    const job = await insertJob(tenant, quick, { runAt: now - 120_000, dispatchDueAt: now - 120_000 });
    await handler.scheduled!(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
    expect(await waitForStatus(key, job.id, ["completed", "failed"])).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("leaves a queued job alone while its message is not yet overdue", async () => {
    const { key, tenant } = await newTenant();
    const now = Date.now();
    const job = await insertJob(tenant, quick, { runAt: now, dispatchDueAt: now + 60_000 });
    await sweepEveryShard(now);
    expect((await jobRow(job.id)).dispatchDueAt).toBe(now + 60_000);
    await sleep(1_500);
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", attempts: 0 });
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
  });

  async function stuckJob(tenant: string, maxAttempts: number) {
    const now = Date.now();
    const timeoutMs = 1_000;
    const startedAt = now - timeoutMs - STUCK_GRACE_MS - 10_000;
    const job = await insertJob(
      tenant,
      { ...quick, maxAttempts, timeoutMs, backoff: { type: "fixed", baseMs: 0 } },
      {
        status: "running",
        attempts: 1,
        startedAt,
        heartbeatAt: startedAt,
        claimToken: `claim_dead_consumer_${crypto.randomUUID()}`,
        dispatchDueAt: null,
      },
    );
    await insertRunningAttempt(job.id, 0, 1, startedAt);
    return job;
  }

  async function health() {
    return json<{ status: string; stuckJobs: number }>(await api("/health", { key: null }), 200);
  }

  it("reports a running job without heartbeat as stuck, then retries it with a HeartbeatLost attempt", async () => {
    const { key, tenant } = await newTenant();
    const stuckBefore = (await health()).stuckJobs;
    const job = await stuckJob(tenant, 3);

    const reported = await health();
    expect(reported.stuckJobs).toBe(stuckBefore + 1);
    expect(reported.status).toBe("degraded");

    const report = await sweepEveryShard(Date.now());
    expect(report.stuck).toBeGreaterThanOrEqual(1);
    expect((await health()).stuckJobs).toBe(stuckBefore);
    const [first] = await attemptsOf(key, job.id);
    expect(first).toMatchObject({
      series: 0,
      attempt: 1,
      outcome: "failed",
      error: { name: "HeartbeatLost", retryable: true },
    });
    expect(first!.finishedAt).not.toBeNull();

    // The retry is announced on the lane and runs as attempt 2.
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", attempts: 2, result: { steps: 1, attempt: 2 } });
    expect((await attemptsOf(key, job.id)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
  });

  it("moves the job to retrying when the sweep runs (before any retry is consumed)", async () => {
    const { key, tenant } = await newTenant();
    const job = await stuckJob(tenant, 3);
    // Retries wait out their backoff first: give this one a long one so the state can be read.
    await updateJobRow(job.id, { backoff: JSON.stringify({ type: "fixed", baseMs: 3_600_000, maxMs: 3_600_000, jitter: false }) });
    await sweepEveryShard(Date.now());
    const row = await jobRow(job.id);
    expect(row).toMatchObject({ status: "retrying", claimToken: null, heartbeatAt: null });
    expect(JSON.parse(row.error!)).toMatchObject({ name: "HeartbeatLost" });
    expect(row.runAt).toBeGreaterThan(Date.now() + 3_000_000);
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
  });

  it("fails a stuck job that is out of attempts and dead-letters it", async () => {
    const { key, tenant } = await newTenant();
    const job = await stuckJob(tenant, 1);
    await sweepEveryShard(Date.now());
    expect(await getJob(key, job.id)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { name: "HeartbeatLost", retryable: true },
    });
    expect((await attemptsOf(key, job.id))[0]).toMatchObject({ outcome: "failed", error: { name: "HeartbeatLost" } });
    const letters = await json<{ items: { job: { id: string } }[] }>(await api("/dead-letters", { key }), 200);
    expect(letters.items.map((l) => l.job.id)).toEqual([job.id]);
  });

  it("leaves a running job with a fresh heartbeat alone", async () => {
    const { key, tenant } = await newTenant();
    const now = Date.now();
    const job = await insertJob(
      tenant,
      { ...quick, timeoutMs: 1_000 },
      { status: "running", attempts: 1, startedAt: now, heartbeatAt: now, claimToken: "claim_alive", dispatchDueAt: null },
    );
    await insertRunningAttempt(job.id, 0, 1, now);
    await sweepEveryShard(now + 1_000);
    expect(await getJob(key, job.id)).toMatchObject({ status: "running", attempts: 1 });
    expect((await attemptsOf(key, job.id))[0]).toMatchObject({ outcome: "running" });
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
  });
});
