import { describe, expect, it } from "vitest";
import { describeError } from "../../src/engine/errors";
import { type Backoff, backoffDelay } from "../../src/engine/retry";
import { ConflictError, InvalidInputError, NotFoundError, RateLimitedError } from "../../src/errors";
import type { Job } from "../../src/schemas/job";
import { attemptsOf, updateJobRow } from "./engine-helpers";
import { api, getJob, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

const policy = (p: Partial<Backoff>): Backoff => ({ type: "exponential", baseMs: 1_000, maxMs: 300_000, jitter: false, ...p });

interface DeadLetter {
  job: Job;
  failedAt: string;
  error: { name: string; message: string; retryable: boolean } | null;
}

async function deadLetters(key: string): Promise<DeadLetter[]> {
  return (await json<{ items: DeadLetter[] }>(await api("/dead-letters", { key }), 200)).items;
}

/** A simulate job that fails every attempt, with no wait between attempts. */
const alwaysFails = (maxAttempts: number) => ({
  type: "simulate",
  input: { steps: 1, stepMs: 0, failUntilAttempt: 1_000 },
  maxAttempts,
  backoff: { type: "fixed", baseMs: 0 },
});

describe("backoffDelay", () => {
  it("doubles exponentially from baseMs without jitter", () => {
    const p = policy({ type: "exponential", baseMs: 100 });
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(p, n))).toEqual([100, 200, 400, 800, 1_600]);
  });

  it("applies full jitter to the exponential delay with the injected random", () => {
    const p = policy({ type: "exponential", baseMs: 100, jitter: true });
    expect(backoffDelay(p, 3, () => 0.5)).toBe(200); // half of 400
    expect(backoffDelay(p, 3, () => 0)).toBe(0);
    expect(backoffDelay(p, 3, () => 0.999)).toBe(399);
    expect(backoffDelay(p, 1, () => 0.25)).toBe(25);
  });

  it("grows linearly", () => {
    const p = policy({ type: "linear", baseMs: 250 });
    expect([1, 2, 3, 4].map((n) => backoffDelay(p, n))).toEqual([250, 500, 750, 1_000]);
  });

  it("stays fixed", () => {
    const p = policy({ type: "fixed", baseMs: 700 });
    expect([1, 2, 5, 20].map((n) => backoffDelay(p, n))).toEqual([700, 700, 700, 700]);
  });

  it("follows the Fibonacci sequence", () => {
    const p = policy({ type: "fibonacci", baseMs: 10 });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(p, n))).toEqual([10, 10, 20, 30, 50, 80, 130]);
  });

  it("never exceeds maxMs, for every policy, before jitter", () => {
    expect(backoffDelay(policy({ type: "exponential", baseMs: 1_000, maxMs: 5_000 }), 10)).toBe(5_000);
    expect(backoffDelay(policy({ type: "linear", baseMs: 1_000, maxMs: 2_500 }), 10)).toBe(2_500);
    expect(backoffDelay(policy({ type: "fibonacci", baseMs: 1_000, maxMs: 4_000 }), 10)).toBe(4_000);
    expect(backoffDelay(policy({ type: "fixed", baseMs: 9_000, maxMs: 3_000 }), 1)).toBe(3_000);
    // Jitter draws from [0, capped delay], not from the uncapped one.
    expect(backoffDelay(policy({ type: "exponential", baseMs: 1_000, maxMs: 5_000, jitter: true }), 30, () => 0.5)).toBe(2_500);
  });

  it("treats attempt numbers below 1 as the first attempt", () => {
    expect(backoffDelay(policy({ type: "exponential", baseMs: 100 }), 0)).toBe(100);
    expect(backoffDelay(policy({ type: "linear", baseMs: 100 }), -3)).toBe(100);
  });
});

describe("describeError", () => {
  it("stops retries for domain errors no retry can cure, also when only their name crossed a boundary", () => {
    const named = (name: string) => Object.assign(new Error("lost its class over RPC"), { name });
    for (const err of [
      new NotFoundError("job job_1"),
      new ConflictError("invalid_state", "job is already completed"),
      new InvalidInputError("invalid_job", "the job was not accepted"),
      named("NotFoundError"),
    ]) {
      expect(describeError(err), err.name).toMatchObject({ name: err.name, retryable: false });
    }
  });

  it("keeps a rate limit retryable, no sooner than its retry-after", () => {
    const err = new RateLimitedError("rate limit reached for simulate: 1 per 60000 ms", {}, 42_000, {});
    expect(describeError(err)).toEqual({ name: "RateLimitedError", message: err.message, retryable: true, retryAfterMs: 42_000 });
  });
});

describe("retries on the real queue", () => {
  it("retries a failing job with the fixed backoff until it succeeds on attempt 3", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 1, stepMs: 10, failUntilAttempt: 3 },
      backoff: { type: "fixed", baseMs: 1_000 },
    });
    const done = await waitForStatus(key, job.id, ["completed", "failed"], 30_000);
    expect(done).toMatchObject({ status: "completed", attempts: 3, result: { steps: 1, attempt: 3 }, error: null });

    const attempts = await attemptsOf(key, job.id);
    expect(attempts.map((a) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "failed"],
      [0, 2, "failed"],
      [0, 3, "succeeded"],
    ]);
    expect(attempts[0]!.error).toEqual({ name: "Error", message: "simulated failure on attempt 1", retryable: true });
    for (let i = 1; i < attempts.length; i++) {
      const gap = Date.parse(attempts[i]!.startedAt) - Date.parse(attempts[i - 1]!.finishedAt!);
      expect(gap, `gap before attempt ${i + 1}`).toBeGreaterThanOrEqual(1_000);
    }
  });

  it("fails a NonRetryableError at once, after one attempt", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 1, stepMs: 0, failUntilAttempt: 5, nonRetryable: true },
      maxAttempts: 5,
      backoff: { type: "fixed", baseMs: 0 },
    });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { name: "NonRetryableError", message: "simulated failure on attempt 1", retryable: false },
    });
    expect(done.finishedAt).not.toBeNull();
    const attempts = await attemptsOf(key, job.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, outcome: "failed", error: { name: "NonRetryableError" } });
  });

  it("fails a job that throws a domain error such as NotFoundError at once, after one attempt", async () => {
    const { key } = await newTenant();
    // report.generate throws NotFoundError when the job it takes its data from does not exist.
    const job = await submit(key, {
      type: "report.generate",
      input: { template: { body: "x", format: "text" }, dataFromJob: "job_NOPE", reportName: "never" },
      maxAttempts: 5,
      backoff: { type: "fixed", baseMs: 0 },
    });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { name: "NotFoundError", message: "job job_NOPE not found", retryable: false },
    });
    expect(await attemptsOf(key, job.id)).toHaveLength(1);
    expect((await deadLetters(key)).map((l) => l.job.id)).toEqual([job.id]);
  });

  it("fails a job that exhausts maxAttempts and lists it as a dead letter", async () => {
    const { key } = await newTenant();
    const job = await submit(key, alwaysFails(2));
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "failed", attempts: 2, error: { name: "Error", retryable: true } });
    expect((await attemptsOf(key, job.id)).map((a) => a.outcome)).toEqual(["failed", "failed"]);

    const letters = await deadLetters(key);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      job: { id: job.id, status: "failed" },
      error: { name: "Error", message: "simulated failure on attempt 2" },
    });
  });

  it("replays a dead letter as a fresh attempt series and takes it off the list", async () => {
    const { key } = await newTenant();
    const job = await submit(key, alwaysFails(2));
    await waitForStatus(key, job.id, ["failed"]);
    expect((await deadLetters(key)).map((l) => l.job.id)).toEqual([job.id]);

    // The cause is fixed (here: its input), then the letter is replayed.
    await updateJobRow(job.id, { input: JSON.stringify({ steps: 1, stepMs: 0 }) });
    const replayed = await json<Job>(await api(`/dead-letters/${job.id}/replay`, { key, method: "POST" }), 202);
    expect(replayed).toMatchObject({ id: job.id, status: "queued", attempts: 0, error: null });
    expect(await deadLetters(key)).toEqual([]);

    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { steps: 1, attempt: 1 } });
    const attempts = await attemptsOf(key, job.id);
    expect(attempts.map((a) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "failed"],
      [0, 2, "failed"],
      [1, 1, "succeeded"],
    ]);
    expect(await deadLetters(key)).toEqual([]);
    // It is no longer a dead letter, so it cannot be replayed again.
    await json(await api(`/dead-letters/${job.id}/replay`, { key, method: "POST" }), 404);
  });

  it("a replayed job that fails again starts its attempts from 1 and is dead-lettered again", async () => {
    const { key } = await newTenant();
    const job = await submit(key, alwaysFails(2));
    await waitForStatus(key, job.id, ["failed"]);
    await json(await api(`/dead-letters/${job.id}/replay`, { key, method: "POST" }), 202);
    const again = await waitFor(
      () => getJob(key, job.id),
      (j) => j.status === "failed" && j.attempts === 2,
    );
    expect(again).toMatchObject({ status: "failed", attempts: 2 });
    const attempts = await attemptsOf(key, job.id);
    expect(attempts.map((a) => [a.series, a.attempt])).toEqual([
      [0, 1],
      [0, 2],
      [1, 1],
      [1, 2],
    ]);
    expect((await deadLetters(key)).map((l) => l.job.id)).toEqual([job.id]);
  });

  it("discards one dead letter, and purges all of a tenant's", async () => {
    const { key } = await newTenant();
    const other = await newTenant();
    const jobs = await Promise.all([submit(key, alwaysFails(1)), submit(key, alwaysFails(1)), submit(key, alwaysFails(1))]);
    const otherJob = await submit(other.key, alwaysFails(1));
    for (const j of jobs) await waitForStatus(key, j.id, ["failed"]);
    await waitForStatus(other.key, otherJob.id, ["failed"]);
    expect(await deadLetters(key)).toHaveLength(3);

    const discarded = await api(`/dead-letters/${jobs[0]!.id}`, { key, method: "DELETE" });
    expect(discarded.status).toBe(204);
    expect((await deadLetters(key)).map((l) => l.job.id).sort()).toEqual([jobs[1]!.id, jobs[2]!.id].sort());
    // The job itself stays, failed.
    expect(await getJob(key, jobs[0]!.id)).toMatchObject({ status: "failed" });
    await json(await api(`/dead-letters/${jobs[0]!.id}`, { key, method: "DELETE" }), 404);
    // Another tenant cannot discard this tenant's letters.
    await json(await api(`/dead-letters/${jobs[1]!.id}`, { key: other.key, method: "DELETE" }), 404);

    expect(await json(await api("/dead-letters", { key, method: "DELETE" }), 200)).toEqual({ purged: 2 });
    expect(await deadLetters(key)).toEqual([]);
    expect(await json(await api("/dead-letters", { key, method: "DELETE" }), 200)).toEqual({ purged: 0 });
    // The purge was the tenant's own.
    expect((await deadLetters(other.key)).map((l) => l.job.id)).toEqual([otherJob.id]);
  });

  it("POST /jobs/{id}/retry runs a failed job again", async () => {
    const { key } = await newTenant();
    const job = await submit(key, alwaysFails(1));
    await waitForStatus(key, job.id, ["failed"]);
    await updateJobRow(job.id, { input: JSON.stringify({ steps: 2, stepMs: 0 }) });

    const retried = await json<Job>(await api(`/jobs/${job.id}/retry`, { key, method: "POST" }), 202);
    expect(retried).toMatchObject({ status: "queued", attempts: 0, error: null, result: null });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { steps: 2, attempt: 1 } });
    expect((await attemptsOf(key, job.id)).map((a) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "failed"],
      [1, 1, "succeeded"],
    ]);
    expect(await deadLetters(key)).toEqual([]);
  });

  it("refuses to retry a queued or running job with 409", async () => {
    const { key } = await newTenant();
    const queued = await submit(key, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
    const refusedQueued = await json(await api(`/jobs/${queued.id}/retry`, { key, method: "POST" }), 409);
    expect(refusedQueued).toMatchObject({ error: { code: "invalid_state" } });

    const running = await submit(key, { type: "simulate", input: { steps: 40, stepMs: 100 } });
    await waitForStatus(key, running.id, ["running"]);
    const refusedRunning = await json(await api(`/jobs/${running.id}/retry`, { key, method: "POST" }), 409);
    expect(refusedRunning).toMatchObject({ error: { code: "invalid_state" } });
    expect(await getJob(key, running.id)).toMatchObject({ status: "running", attempts: 1 });

    for (const j of [queued, running]) await json(await api(`/jobs/${j.id}/cancel`, { key, method: "POST" }), 200);
  });

  it("counts an attempt that runs past timeoutMs as failed, with outcome timed_out", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 1, stepMs: 2_000 },
      timeoutMs: 200,
      maxAttempts: 2,
      backoff: { type: "fixed", baseMs: 0 },
    });
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({
      status: "failed",
      attempts: 2,
      error: { name: "AttemptTimeoutError", message: "attempt timed out after 200 ms", retryable: true },
    });
    const attempts = await attemptsOf(key, job.id);
    expect(attempts.map((a) => a.outcome)).toEqual(["timed_out", "timed_out"]);
    expect(attempts[0]!.error).toMatchObject({ name: "AttemptTimeoutError" });
  });
});
