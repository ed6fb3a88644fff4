import { describe, expect, it } from "vitest";
import { ADMIN_KEY, api, dbOf, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

interface Span {
  jobId: string;
  startedAt: number;
  finishedAt: number;
}

/** Every attempt of the tenant's jobs with `concurrencyKey` (or all its jobs), from D1's attempt records. */
async function spans(tenant: string, concurrencyKey?: string): Promise<Span[]> {
  // Each job's latest attempt is on its row; earlier ones (retries) are attempt rows.
  const { results } = await dbOf(tenant).prepare(
    `SELECT * FROM (
       SELECT a.job_id AS jobId, a.started_at AS startedAt, a.finished_at AS finishedAt
       FROM attempts a JOIN jobs j ON j.id = a.job_id
       WHERE j.tenant = ?1 AND (?2 IS NULL OR j.concurrency_key = ?2)
       UNION
       SELECT id, attempt_started_at, coalesce(finished_at, heartbeat_at) FROM jobs
       WHERE tenant = ?1 AND (?2 IS NULL OR concurrency_key = ?2) AND attempt_started_at IS NOT NULL
         AND attempt_outcome IS NOT 'running'
     ) ORDER BY startedAt`,
  )
    .bind(tenant, concurrencyKey ?? null)
    .all<Span>();
  return results;
}

/** The most attempts that were running at the same moment. */
function peakOverlap(all: Span[]): number {
  const events = all.flatMap((s) => [
    { at: s.startedAt, delta: 1 },
    { at: s.finishedAt, delta: -1 },
  ]);
  // At equal times a finish comes before a start: the slot was handed over, not shared.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let peak = 0;
  for (const e of events) {
    running += e.delta;
    peak = Math.max(peak, running);
  }
  return peak;
}

async function countByStatus(tenant: string) {
  const { results } = await dbOf(tenant).prepare("SELECT status, count(*) AS n FROM jobs WHERE tenant = ? GROUP BY status")
    .bind(tenant)
    .all<{ status: string; n: number }>();
  return Object.fromEntries(results.map((r) => [r.status, r.n]));
}

async function adminKeyOf(tenant: string) {
  const created = await json(await api("/keys", { key: ADMIN_KEY, body: { name: "admin", tenant, scopes: ["admin"] } }), 201);
  return created.key as string;
}

describe("concurrency keys", () => {
  it("500 jobs submitted at once on one key with limit 2 never run more than 2 at a time, and all finish", async () => {
    const { key, tenant } = await newTenant();
    const job = { type: "simulate", input: { steps: 1, stepMs: 5 }, concurrencyKey: "project:42", concurrencyLimit: 2 };
    // Ten clients, each submitting batches and single jobs at the same time.
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        await json(await api("/jobs/batch", { key, body: { jobs: Array.from({ length: 40 }, () => job) } }), 202);
        for (let i = 0; i < 10; i++) await submit(key, job);
      }),
    );
    const counts = await waitFor(
      () => countByStatus(tenant),
      (c) => c.completed === 500,
      170_000,
    );
    expect(counts).toEqual({ completed: 500 });
    const all = await spans(tenant, "project:42");
    expect(all).toHaveLength(500);
    expect(peakOverlap(all)).toBe(2);
  }, 180_000);

  it("waiting jobs start in order of priority, then submission, as the slot frees", async () => {
    const { key, tenant } = await newTenant();
    const on = (priority: string, stepMs: number) => ({
      type: "simulate",
      input: { steps: 1, stepMs },
      priority,
      concurrencyKey: "one-at-a-time",
    });
    const first = await submit(key, on("normal", 1_500));
    await waitForStatus(key, first.id, ["running"]);
    const low = await submit(key, on("low", 0));
    const normal1 = await submit(key, on("normal", 0));
    const normal2 = await submit(key, on("normal", 0));
    const critical = await submit(key, on("critical", 0));
    await waitFor(() => countByStatus(tenant), (c) => c.completed === 5, 30_000);
    const order = (await spans(tenant, "one-at-a-time")).map((s) => s.jobId);
    expect(order).toEqual([first.id, critical.id, normal1.id, normal2.id, low.id]);
    expect(peakOverlap(await spans(tenant))).toBe(1);
  }, 40_000);

  it("different keys do not wait for each other, and the key defaults to a limit of 1", async () => {
    const { key, tenant } = await newTenant();
    const jobs = await Promise.all(
      ["a", "a", "b", "b"].map((k) => submit(key, { type: "simulate", input: { steps: 1, stepMs: 800 }, concurrencyKey: k })),
    );
    expect(jobs[0]!.concurrencyKey).toBe("a");
    await waitFor(() => countByStatus(tenant), (c) => c.completed === 4, 30_000);
    expect(peakOverlap(await spans(tenant, "a"))).toBe(1);
    expect(peakOverlap(await spans(tenant, "b"))).toBe(1);
    expect(peakOverlap(await spans(tenant))).toBe(2);
  }, 40_000);

  it("cancelling the running job hands its slot to the next one", async () => {
    const { key } = await newTenant();
    const job = { type: "simulate", input: { steps: 1, stepMs: 60_000 }, concurrencyKey: "slot", timeoutMs: 120_000 };
    const running = await submit(key, job);
    await waitForStatus(key, running.id, ["running"]);
    const waiting = await submit(key, { ...job, input: { steps: 1, stepMs: 0 } });
    await new Promise((r) => setTimeout(r, 500));
    expect((await json(await api(`/jobs/${waiting.id}`, { key }))).status).toBe("queued");
    await json(await api(`/jobs/${running.id}/cancel`, { key, method: "POST" }));
    await waitForStatus(key, waiting.id, ["completed"], 15_000);
  }, 30_000);
});

describe("the tenant-wide concurrency limit", () => {
  it("caps how many of the tenant's jobs run at once, keyed or not", async () => {
    const { key, tenant } = await newTenant();
    const admin = await adminKeyOf(tenant);
    await json(await api("/settings", { key: admin, method: "PUT", body: { jobs: { concurrencyLimit: 2 } } }), 200);
    const job = { type: "simulate", input: { steps: 1, stepMs: 300 } };
    await json(await api("/jobs/batch", { key, body: { jobs: [...Array.from({ length: 6 }, () => job), { ...job, concurrencyKey: "k", concurrencyLimit: 5 }] } }), 202);
    await waitFor(() => countByStatus(tenant), (c) => c.completed === 7, 30_000);
    expect(peakOverlap(await spans(tenant))).toBe(2);
  }, 40_000);
});
