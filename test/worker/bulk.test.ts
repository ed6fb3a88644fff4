import { describe, expect, it } from "vitest";
import type { Job } from "../../src/schemas/job";
import { api, getJob, json, newTenant, submit, waitForStatus } from "./helpers";

const later = { type: "simulate", input: { steps: 1, stepMs: 0 }, delayMs: 3_600_000 };
const failing = { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 99 }, maxAttempts: 1 };

const bulk = (key: string, body: unknown, dryRun = false) => api(`/jobs/bulk${dryRun ? "?dryRun=true" : ""}`, { key, body });

async function finishedBulk(key: string, body: unknown) {
  const res = await bulk(key, body);
  expect(res.headers.get("location")).toMatch(/^\/api\/v1\/jobs\/job_/);
  const job = await json<Job>(res, 202);
  expect(job).toMatchObject({ type: "jobs.bulk", durable: true, priority: "high" });
  return waitForStatus(key, job.id, ["completed", "failed"], 40_000);
}

async function failedJobs(key: string, count: number, extra: Record<string, unknown> = {}) {
  const jobs = await Promise.all(Array.from({ length: count }, () => submit(key, { ...failing, ...extra })));
  return Promise.all(jobs.map((job) => waitForStatus(key, job.id, ["failed"])));
}

describe("bulk actions: POST /api/v1/jobs/bulk", () => {
  it("cancels jobs named by id, in a job whose result counts what changed and what was left", async () => {
    const { key } = await newTenant();
    const queued = await Promise.all([1, 2, 3].map(() => submit(key, later)));
    const done = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, done.id, ["completed"]);
    const ids = [...queued.map((j) => j.id), done.id];

    expect(await json(await bulk(key, { action: "cancel", ids }, true), 200)).toEqual({ action: "cancel", matched: 3 });
    const job = await finishedBulk(key, { action: "cancel", ids });
    expect(job.status).toBe("completed");
    expect(job.result).toMatchObject({ action: "cancel", matched: 3, changed: 3, skipped: 1, skips: [{ id: done.id }] });
    expect(job.progress.percent).toBe(100);
    for (const q of queued) expect((await getJob(key, q.id)).status).toBe("cancelled");
    expect((await getJob(key, done.id)).status).toBe("completed");
  });

  it("retries every failed job matching a filter, counted first, and leaves other jobs and other tenants alone", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const tagged = await failedJobs(a.key, 3, { tags: ["nightly"] });
    const untagged = await failedJobs(a.key, 2);
    const [otherTenants] = await failedJobs(b.key, 1, { tags: ["nightly"] });
    const filter = { status: "failed", type: "simulate", tag: "nightly" };

    expect(await json(await bulk(a.key, { action: "retry", filter }, true), 200)).toEqual({ action: "retry", matched: 3 });
    expect(await json(await bulk(a.key, { action: "retry", filter: { status: "failed" } }, true), 200)).toMatchObject({ matched: 5 });
    const job = await finishedBulk(a.key, { action: "retry", filter });
    expect(job.result).toMatchObject({ matched: 3, changed: 3, skipped: 0 });
    // Retried: a fresh series that fails again on its own.
    for (const t of tagged) expect((await waitForStatus(a.key, t.id, ["failed"])).finishedAt).not.toBe(t.finishedAt);
    for (const u of untagged) expect(await getJob(a.key, u.id)).toMatchObject({ status: "failed", finishedAt: u.finishedAt });
    expect(await getJob(b.key, otherTenants!.id)).toMatchObject({ status: "failed", finishedAt: otherTenants!.finishedAt });
  });

  it("never touches another tenant's jobs named by id", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const theirs = await submit(b.key, later);
    expect(await json(await bulk(a.key, { action: "cancel", ids: [theirs.id] }, true), 200)).toMatchObject({ matched: 0 });
    const job = await finishedBulk(a.key, { action: "cancel", ids: [theirs.id] });
    expect(job.result).toMatchObject({ changed: 0, skipped: 1 });
    expect((await getJob(b.key, theirs.id)).status).toBe("queued");
  });

  it("leaves alone jobs created after the request", async () => {
    const { key } = await newTenant();
    const before = await submit(key, later);
    const res = await bulk(key, { action: "cancel", filter: { status: "queued" } });
    const bulkJob = await json<Job>(res, 202);
    const after = await submit(key, later);
    await waitForStatus(key, bulkJob.id, ["completed"], 40_000);
    expect((await getJob(key, before.id)).status).toBe("cancelled");
    expect((await getJob(key, after.id)).status).toBe("queued");
  });

  it("does not cancel itself when its filter matches running jobs", async () => {
    const { key } = await newTenant();
    const job = await finishedBulk(key, { action: "cancel", filter: { status: "running" } });
    expect(job).toMatchObject({ status: "completed", result: { changed: 0 } });
  });

  it.each([
    ["neither ids nor filter", { action: "cancel" }, "ids"],
    ["both ids and filter", { action: "cancel", ids: ["job_1"], filter: {} }, "ids"],
    ["an unknown action", { action: "delete", ids: ["job_1"] }, "action"],
    ["a status the action cannot change", { action: "retry", filter: { status: "completed" } }, "filter.status"],
    ["an unknown filter field", { action: "cancel", filter: { colour: "red" } }, "filter"],
    ["more than 1,000 ids", { action: "cancel", ids: Array.from({ length: 1_001 }, (_, i) => `job_${i}`) }, "ids"],
  ])("refuses %s with a 400 naming the field, and starts nothing", async (_, body, path) => {
    const { key } = await newTenant();
    const res = await bulk(key, body);
    const error = await json(res, 400);
    expect(JSON.stringify(error)).toContain(path);
    const listed = await json(await api("/jobs?type=jobs.bulk", { key }), 200);
    expect(listed.items).toEqual([]);
  });

  it("needs the jobs:write scope", async () => {
    const { key } = await newTenant(["jobs:read"]);
    expect((await bulk(key, { action: "cancel", ids: ["job_1"] })).status).toBe(403);
  });
});
