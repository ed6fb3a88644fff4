import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/schemas/job";
import { ISO_UTC, captureSql, expectError, later, listJobs, queryPlan, sleep } from "./api-helpers";
import { api, dbOf, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

const JOB_FIELDS = [
  "attempts",
  "concurrencyKey",
  "createdAt",
  "debounceKey",
  "durable",
  "error",
  "finishedAt",
  "id",
  "idempotencyKey",
  "input",
  "maxAttempts",
  "priority",
  "progress",
  "result",
  "runAt",
  "startedAt",
  "status",
  "tags",
  "timeoutMs",
  "type",
];

const ids = (jobs: Job[]) => jobs.map((j) => j.id);
/** Newest first is descending id order (ids are time-ordered). */
const newestFirst = (jobs: Job[]) => [...ids(jobs)].sort().reverse();

describe("POST /jobs", () => {
  it("returns 202, a Location header and the full job shape with schema defaults applied", async () => {
    const { key } = await newTenant();
    const before = Date.now();
    const res = await api("/jobs", { key, body: { type: "simulate", input: { steps: 2 }, tags: ["a", "b", "a"] } });
    const after = Date.now();
    const job = await json<Job>(res, 202);
    expect(res.headers.get("location")).toBe(`/api/v1/jobs/${job.id}`);
    expect(Object.keys(job).sort()).toEqual(JOB_FIELDS);
    expect(job).toEqual({
      id: expect.stringMatching(/^job_[0-9A-Z]{26}$/),
      type: "simulate",
      status: "queued",
      priority: "normal",
      input: { steps: 2, stepMs: 100, durable: false, nonRetryable: false, pauseMs: 0 },
      result: null,
      error: null,
      attempts: 0,
      maxAttempts: 3,
      timeoutMs: 60_000,
      durable: false,
      progress: { percent: 0, stage: null, message: null },
      tags: ["a", "b"],
      idempotencyKey: null,
      concurrencyKey: null,
      debounceKey: null,
      runAt: job.createdAt,
      createdAt: expect.stringMatching(ISO_UTC),
      startedAt: null,
      finishedAt: null,
    });
    const created = Date.parse(job.createdAt);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(after);
  });

  it("applies the request's options over the type's defaults", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "http.request",
      input: { url: "https://example.com/hook" },
      priority: "critical",
      maxAttempts: 7,
      timeoutMs: 5_000,
      idempotencyKey: "opts-1",
      delayMs: 3_600_000,
    });
    expect(job).toMatchObject({
      type: "http.request",
      priority: "critical",
      maxAttempts: 7,
      timeoutMs: 5_000,
      idempotencyKey: "opts-1",
      durable: false,
      input: { url: "https://example.com/hook", method: "GET", headers: {}, maxResponseBytes: 65_536 },
    });
  });

  it("marks a job durable when its input asks for it", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later({ input: { steps: 1, durable: true } }));
    expect(job.durable).toBe(true);
  });

  it("GET /jobs/{id} returns the same job", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later({ tags: ["x"] }));
    expect(await json(await api(`/jobs/${job.id}`, { key }), 200)).toEqual(job);
  });
});

describe("scheduling", () => {
  it("a job with runAt in the future stays queued and unstarted", async () => {
    const { key } = await newTenant();
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, runAt });
    expect(job.runAt).toBe(runAt);
    await sleep(1_500);
    const now = await json<Job>(await api(`/jobs/${job.id}`, { key }), 200);
    expect(now).toMatchObject({ status: "queued", startedAt: null, attempts: 0, runAt });
  });

  it("a job with delayMs runs no sooner than createdAt + delayMs", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later({ delayMs: 7_200_000 }));
    expect(Date.parse(job.runAt) - Date.parse(job.createdAt)).toBe(7_200_000);
    await sleep(1_500);
    expect(await json(await api(`/jobs/${job.id}`, { key }), 200)).toMatchObject({ status: "queued", startedAt: null });
  });

  it("a job with runAt in the past runs now", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, runAt: "2020-01-01T00:00:00.000Z" });
    const done = await waitForStatus(key, job.id, ["completed"]);
    expect(done.startedAt).not.toBeNull();
  });
});

describe("idempotency", () => {
  it("the same key returns 200 with the same job, and only one job exists", async () => {
    const { key } = await newTenant();
    const first = await json<Job>(await api("/jobs", { key, body: later({ idempotencyKey: "k-1" }) }), 202);
    const res = await api("/jobs", { key, body: later({ idempotencyKey: "k-1", input: { steps: 9 } }) });
    const second = await json<Job>(res, 200);
    expect(second.id).toBe(first.id);
    expect(second.input).toEqual(first.input);
    expect(res.headers.get("location")).toBe(`/api/v1/jobs/${first.id}`);
    expect(ids((await listJobs(key)).items)).toEqual([first.id]);
  });

  it("concurrent submits with one key create exactly one job", async () => {
    const { key } = await newTenant();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api("/jobs", { key, body: later({ idempotencyKey: "race" }) })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 202]);
    const jobs = await Promise.all(responses.map((r) => r.json() as Promise<Job>));
    expect(new Set(jobs.map((j) => j.id)).size).toBe(1);
    expect((await listJobs(key)).items).toHaveLength(1);
  });

  it("works in a batch, against earlier jobs and within the batch", async () => {
    const { key } = await newTenant();
    const earlier = await submit(key, later({ idempotencyKey: "old" }));
    const body = {
      jobs: [later({ idempotencyKey: "old" }), later({ idempotencyKey: "new" }), later({ idempotencyKey: "new" }), later()],
    };
    const batch = await json(await api("/jobs/batch", { key, body }), 202);
    expect(batch).toMatchObject({ created: 2, existing: 2 });
    expect(batch.items[0].id).toBe(earlier.id);
    expect(batch.items[2].id).toBe(batch.items[1].id);
    expect(batch.items[3].id).not.toBe(batch.items[1].id);
    expect((await listJobs(key)).items).toHaveLength(3);

    const again = await json(await api("/jobs/batch", { key, body }), 202);
    expect(again).toMatchObject({ created: 1, existing: 3 });
    expect((await listJobs(key)).items).toHaveLength(4); // the key-less job is new each time
  });
});

describe("GET /jobs filters", () => {
  /** Three jobs that never run, created in distinct milliseconds, one of them cancelled. */
  async function fixture() {
    const { key } = await newTenant();
    const j1 = await submit(key, later({ priority: "high", tags: ["red"] }));
    await sleep(5);
    const j2 = await submit(key, later({ type: "http.request", input: { url: "https://example.com" }, priority: "low", tags: ["blue"] }));
    await sleep(5);
    const j3 = await submit(key, later({ tags: ["red", "blue"] }));
    await json(await api(`/jobs/${j3.id}/cancel`, { key, method: "POST" }), 200);
    return { key, j1, j2, j3 };
  }

  it("filters by status, type, priority and tag, newest first", async () => {
    const { key, j1, j2, j3 } = await fixture();
    const list = async (query: string) => ids((await listJobs(key, query)).items);
    expect(await list("")).toEqual([j3.id, j2.id, j1.id]);
    expect(await list("status=queued")).toEqual([j2.id, j1.id]);
    expect(await list("status=cancelled")).toEqual([j3.id]);
    expect(await list("status=running")).toEqual([]);
    expect(await list("type=simulate")).toEqual([j3.id, j1.id]);
    expect(await list("type=http.request")).toEqual([j2.id]);
    expect(await list("priority=high")).toEqual([j1.id]);
    expect(await list("priority=low")).toEqual([j2.id]);
    expect(await list("priority=critical")).toEqual([]);
    expect(await list("tag=red")).toEqual([j3.id, j1.id]);
    expect(await list("tag=blue")).toEqual([j3.id, j2.id]);
    expect(await list("tag=green")).toEqual([]);
  });

  it("combines filters", async () => {
    const { key, j1, j2 } = await fixture();
    const list = async (query: string) => ids((await listJobs(key, query)).items);
    expect(await list("tag=red&status=queued")).toEqual([j1.id]);
    expect(await list("type=simulate&status=queued")).toEqual([j1.id]);
    expect(await list("tag=blue&type=http.request&priority=low")).toEqual([j2.id]);
    expect(await list("tag=blue&priority=high")).toEqual([]);
  });

  it("filters by createdAfter and createdBefore (both exclusive)", async () => {
    const { key, j1, j2, j3 } = await fixture();
    const list = async (query: string) => ids((await listJobs(key, query)).items);
    expect(await list(`createdAfter=${j1.createdAt}`)).toEqual([j3.id, j2.id]);
    expect(await list(`createdBefore=${j3.createdAt}`)).toEqual([j2.id, j1.id]);
    expect(await list(`createdAfter=${j1.createdAt}&createdBefore=${j3.createdAt}`)).toEqual([j2.id]);
    expect(await list(`createdAfter=${j3.createdAt}`)).toEqual([]);
    expect(await list(`createdAfter=2000-01-01T00:00:00.000Z&tag=red`)).toEqual([j3.id, j1.id]);
  });

  it("returns every job in the right shape", async () => {
    const { key, j1 } = await fixture();
    const page = await listJobs(key, "priority=high");
    expect(page).toEqual({ items: [j1], nextCursor: null });
  });
});

describe("GET /jobs pagination", () => {
  /** Walks every page with `query`, returning the pages. */
  async function walk(key: string, query: string) {
    const pages: Job[][] = [];
    let cursor: string | null = null;
    do {
      const page = await listJobs(key, `${query}${cursor ? `&cursor=${cursor}` : ""}`);
      pages.push(page.items);
      cursor = page.nextCursor;
      expect(pages.length).toBeLessThan(50);
    } while (cursor);
    return pages;
  }

  it("walks every job exactly once, newest first", async () => {
    const { key } = await newTenant();
    await json(await api("/jobs/batch", { key, body: { jobs: Array.from({ length: 20 }, () => later()) } }), 202);
    await sleep(3);
    const single = [await submit(key, later()), await submit(key, later())];
    const pages = await walk(key, "limit=6");
    expect(pages.map((p) => p.length)).toEqual([6, 6, 6, 4]);
    const all = pages.flat();
    expect(new Set(ids(all)).size).toBe(22);
    expect(ids(all)).toEqual(newestFirst(all));
    expect(ids(all).slice(0, 2)).toEqual([single[1]!.id, single[0]!.id]);
    const created = all.map((j) => Date.parse(j.createdAt));
    expect(created).toEqual([...created].sort((x, y) => y - x));
  });

  it("ends without an empty page when the count divides by the limit", async () => {
    const { key } = await newTenant();
    await json(await api("/jobs/batch", { key, body: { jobs: Array.from({ length: 10 }, () => later()) } }), 202);
    const pages = await walk(key, "limit=5");
    expect(pages.map((p) => p.length)).toEqual([5, 5]);
  });

  it("paginates a filtered list (tag join and status index)", async () => {
    const { key } = await newTenant();
    const jobs = Array.from({ length: 12 }, (_, i) => later({ tags: i % 2 === 0 ? ["even"] : ["odd"], priority: i % 3 === 0 ? "high" : "low" }));
    await json(await api("/jobs/batch", { key, body: { jobs } }), 202);
    const byTag = (await walk(key, "tag=even&limit=4")).flat();
    expect(byTag).toHaveLength(6);
    expect(byTag.every((j) => j.tags.includes("even"))).toBe(true);
    expect(ids(byTag)).toEqual(newestFirst(byTag));
    const byPriority = await walk(key, "priority=high&limit=3");
    expect(byPriority.map((p) => p.length)).toEqual([3, 1]);
    expect(new Set(ids(byPriority.flat())).size).toBe(4);
  });

  it("defaults to 50 items per page", async () => {
    const { key } = await newTenant();
    await json(await api("/jobs/batch", { key, body: { jobs: Array.from({ length: 51 }, () => later()) } }), 202);
    const page = await listJobs(key);
    expect(page.items).toHaveLength(50);
    expect(page.nextCursor).toEqual(expect.any(String));
  });
});

describe("GET /jobs query plans", () => {
  const USES_INDEX = /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|PRIMARY KEY/;

  /** The statement the list route reads the page of jobs with for `query` (the page query: it has ORDER BY). */
  async function listStatement(key: string, query: string) {
    const { res, statements } = await captureSql(`/jobs?${query}`, key);
    expect(res.status, await res.text()).toBe(200);
    const listSql = statements.filter((s) => /from "?(jobs|job_tags)"?/i.test(s.sql) && /order by/i.test(s.sql));
    expect(listSql, JSON.stringify(statements.map((s) => s.sql))).toHaveLength(1);
    return listSql[0]!;
  }

  /** EXPLAINs the statement the list route runs against jobs for `query`. */
  async function planFor(query: string) {
    const { key } = await newTenant();
    await submit(key, later({ tags: ["red"] }));
    return queryPlan(await listStatement(key, query));
  }

  it.each([
    ["tenant only", "jobs_tenant_status_id", "limit=10"],
    ["tenant + status", "jobs_tenant_status_id", "status=queued"],
    ["tenant + type", "jobs_tenant_type_priority_id", "type=simulate"],
    ["tenant + type + priority", "jobs_tenant_type_priority_id", "type=simulate&priority=high"],
    ["tenant + priority", "jobs_tenant_type_priority_id", "priority=high"],
    ["tenant + cursor", "jobs_tenant_status_id", "cursor=eyJpZCI6ImpvYl96In0"],
    ["tenant + created range", "jobs_tenant_status_id", "createdAfter=2020-01-01T00:00:00.000Z&createdBefore=2100-01-01T00:00:00.000Z"],
  ])("%s reads every range through %s and never scans jobs", async (_what, index, query) => {
    const plan = await planFor(query);
    const text = plan.join("\n");
    const searches = plan.filter((line) => /\b(SEARCH|SCAN) jobs\b/.test(line));
    expect(searches.length, text).toBeGreaterThan(0);
    for (const line of searches) {
      expect(line, text).toMatch(USES_INDEX);
      expect(line, text).toContain(index);
    }
    expect(text).not.toMatch(/\bSCAN jobs\b/);
  });

  it.each(["limit=5", "status=queued&limit=5", "type=simulate&limit=5", "priority=low&limit=5", "priority=high&limit=5", "type=simulate&priority=low&limit=5"])(
    "%s reads about a page per range, not every job of the tenant",
    async (query) => {
      const { key, tenant } = await newTenant();
      await json(await api("/jobs/batch", { key, body: { jobs: Array.from({ length: 150 }, (_, i) => later({ priority: i % 2 ? "low" : "normal" })) } }), 202);
      const statement = await listStatement(key, query);
      const { meta, results } = await dbOf(tenant).prepare(statement.sql).bind(...statement.params).all();
      expect(results.length).toBeLessThanOrEqual(6);
      // Six ranges at most (one per status), each read no further than the page (limit + 1).
      expect(meta.rows_read, `${query}: ${meta.rows_read} rows read`).toBeLessThanOrEqual(6 * 6 + 6);
    },
  );

  it.each(["tag=red", "tag=red&status=queued"])("%s uses indexes and never scans jobs or job_tags", async (query) => {
    const text = (await planFor(query)).join("\n");
    expect(text).toMatch(/SEARCH job_tags USING (COVERING INDEX|INDEX|PRIMARY KEY)/);
    expect(text).toMatch(/SEARCH jobs USING (COVERING INDEX|INDEX|PRIMARY KEY)/);
    expect(text).not.toMatch(/\bSCAN (jobs|job_tags)\b/);
  });

  it.each(["tag=red", "tag=red&status=queued"])(
    "%s is driven by the job_tags key in order: no read of every tenant job, no sort",
    async (query) => {
      const plan = await planFor(query);
      const text = plan.join("\n");
      // The outer loop must be job_tags (tenant, tag, job_id), whose order already is newest first;
      // driving from jobs reads every job of the tenant and then sorts the matches.
      expect(plan[0], text).toMatch(/^SEARCH job_tags USING (COVERING INDEX \S+|INDEX \S+|PRIMARY KEY) \(tenant=\? AND tag=\?/);
      expect(text).not.toContain("USE TEMP B-TREE FOR ORDER BY");
    },
  );
});

describe("GET /jobs/{id}/result", () => {
  it("is 409 not_completed before the job completes", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    const error = await expectError(await api(`/jobs/${job.id}/result`, { key }), 409, "not_completed");
    expect(error.message).toContain("queued");
  });

  it("returns {id, status, result} once completed", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 3, stepMs: 0 } });
    await waitForStatus(key, job.id, ["completed"]);
    const body = await json(await api(`/jobs/${job.id}/result`, { key }), 200);
    expect(body).toEqual({ id: job.id, status: "completed", result: { steps: 3, attempt: 1 } });
  });

  it("is 409 for a failed job", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true } });
    await waitForStatus(key, job.id, ["failed"]);
    await expectError(await api(`/jobs/${job.id}/result`, { key }), 409, "not_completed");
  });
});

describe("GET /jobs/{id}/attempts", () => {
  it("lists each attempt, oldest first", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 1, stepMs: 0, failUntilAttempt: 2 },
      backoff: { type: "fixed", baseMs: 0 },
    });
    await waitForStatus(key, job.id, ["completed"]);
    const { items } = await json(await api(`/jobs/${job.id}/attempts`, { key }), 200);
    expect(items).toEqual([
      {
        series: 0,
        attempt: 1,
        outcome: "failed",
        startedAt: expect.stringMatching(ISO_UTC),
        finishedAt: expect.stringMatching(ISO_UTC),
        durationMs: expect.any(Number),
        error: { name: "Error", message: "simulated failure on attempt 1", retryable: true },
      },
      {
        series: 0,
        attempt: 2,
        outcome: "succeeded",
        startedAt: expect.stringMatching(ISO_UTC),
        finishedAt: expect.stringMatching(ISO_UTC),
        durationMs: expect.any(Number),
        error: null,
      },
    ]);
    for (const a of items) expect(a.durationMs).toBe(Date.parse(a.finishedAt) - Date.parse(a.startedAt));
    expect(Date.parse(items[1].startedAt)).toBeGreaterThanOrEqual(Date.parse(items[0].finishedAt));
  });

  it("is empty before the first attempt", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    expect(await json(await api(`/jobs/${job.id}/attempts`, { key }), 200)).toEqual({ items: [] });
  });

  it("a manual retry starts a new series", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true } });
    await waitForStatus(key, job.id, ["failed"]);
    await json(await api(`/jobs/${job.id}/retry`, { key, method: "POST" }), 202);
    await waitFor(
      async () => (await json(await api(`/jobs/${job.id}/attempts`, { key }), 200)).items as { series: number; outcome: string }[],
      (items) => items.length === 2 && items[1]!.outcome !== "running",
    );
    const { items } = await json(await api(`/jobs/${job.id}/attempts`, { key }), 200);
    expect(items.map((a: { series: number; attempt: number; outcome: string }) => [a.series, a.attempt, a.outcome])).toEqual([
      [0, 1, "failed"],
      [1, 1, "failed"],
    ]);
  });
});

describe("GET /jobs/{id}/logs", () => {
  it("lists the job's log lines in order", async () => {
    const { key } = await newTenant();
    // simulate logs each durable step as it runs.
    const job = await submit(key, { type: "simulate", input: { steps: 3, stepMs: 0, durable: true } });
    await waitForStatus(key, job.id, ["completed"]);
    const { items } = await json(await api(`/jobs/${job.id}/logs`, { key }), 200);
    expect(items.map((l: { message: string }) => l.message)).toEqual([
      "step 1 ran on attempt 1",
      "step 2 ran on attempt 1",
      "step 3 ran on attempt 1",
    ]);
    expect(items[0]).toEqual({ seq: expect.any(Number), at: expect.stringMatching(ISO_UTC), attempt: 1, level: "info", message: "step 1 ran on attempt 1" });
    const seqs = items.map((l: { seq: number }) => l.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  it("is empty for a job that has not run", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    expect(await json(await api(`/jobs/${job.id}/logs`, { key }), 200)).toEqual({ items: [] });
  });
});

describe("operations endpoints", () => {
  it("GET /api/v1/openapi.json is an OpenAPI 3.1 document for the API", async () => {
    // Fetched with a key so this checks the document itself; auth.test.ts checks it needs none.
    const doc = await json(await api("/openapi.json"), 200);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const paths = Object.keys(doc.paths);
    for (const path of [
      "/api/v1/jobs",
      "/api/v1/jobs/batch",
      "/api/v1/jobs/{id}",
      "/api/v1/jobs/{id}/result",
      "/api/v1/jobs/{id}/attempts",
      "/api/v1/jobs/{id}/cancel",
      "/api/v1/jobs/{id}/retry",
      "/api/v1/jobs/{id}/events",
      "/api/v1/dead-letters",
      "/api/v1/queues",
      "/api/v1/stats",
      "/api/v1/keys",
      "/api/v1/health",
    ]) {
      expect(paths, path).toContain(path);
    }
    expect(Object.keys(doc.paths["/api/v1/jobs"]).sort()).toEqual(["get", "post"]);
    expect(doc.paths["/api/v1/jobs"].post.responses).toHaveProperty("202");
    expect(doc.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas).toHaveProperty("Job");
    expect(doc.components.schemas).toHaveProperty("Error");
  });

  it("GET /docs serves the Swagger UI page", async () => {
    const res = await exports.default.fetch("https://jobs.test/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toMatch(/swagger/i);
    expect(html).toContain("/api/v1/openapi.json");
  });

  it("GET /api/v1/health reports D1 without auth", async () => {
    const res = await exports.default.fetch("https://jobs.test/api/v1/health");
    const body = await json(res, 200);
    expect(Object.keys(body).sort()).toEqual(["checkedAt", "configuration", "d1", "status", "stuckJobs"]);
    expect(body).toEqual({
      status: expect.stringMatching(/^(ok|degraded)$/),
      configuration: { ok: true },
      d1: { ok: true, latencyMs: expect.any(Number) },
      stuckJobs: expect.any(Number),
      checkedAt: expect.stringMatching(ISO_UTC),
    });
    expect(body.status).toBe(body.stuckJobs > 0 ? "degraded" : "ok");
    expect(body.d1.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("GET /api/v1/stats counts the tenant's jobs", async () => {
    const { key } = await newTenant();
    await submit(key, later());
    await submit(key, later({ priority: "high" }));
    const ok = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 20 } });
    const bad = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true } });
    await waitForStatus(key, ok.id, ["completed"]);
    await waitForStatus(key, bad.id, ["failed"]);
    const stats = await json(await api("/stats", { key }), 200);
    expect(Object.keys(stats).sort()).toEqual([
      "byPriority", "byStatus", "byType", "durationByType", "durationMs", "housekeeping", "lastHour", "stuck", "successRate", "total", "windows",
    ]);
    expect(stats).toMatchObject({
      byStatus: { queued: 2, completed: 1, failed: 1 },
      byType: { simulate: 4 },
      byPriority: { normal: 3, high: 1 },
      total: 4,
      successRate: 0.5,
      durationMs: { p50: expect.any(Number), p95: expect.any(Number), sample: 1 },
      lastHour: { completed: 1, failed: 1, perMinute: 2 / 60 },
      windows: { hour: { completed: 1, failed: 1, failureRate: 0.5 }, day: { completed: 1, failed: 1 }, week: { completed: 1, failed: 1 } },
      stuck: 0,
    });
    expect(stats.durationByType).toEqual({ simulate: stats.durationMs });
    expect(Object.keys(stats.byStatus).sort()).toEqual(["completed", "failed", "queued"]);
    expect(stats.durationMs.p50).toBe(stats.durationMs.p95);
    expect(stats.durationMs.p50).toBeGreaterThanOrEqual(20);
  });

  it("GET /api/v1/stats of a tenant with no jobs", async () => {
    const { key } = await newTenant();
    expect(await json(await api("/stats", { key }), 200)).toEqual({
      byStatus: {},
      byType: {},
      byPriority: {},
      total: 0,
      successRate: null,
      durationMs: { p50: null, p95: null, sample: 0 },
      durationByType: {},
      lastHour: { completed: 0, failed: 0, perMinute: 0 },
      windows: {
        hour: { completed: 0, failed: 0, perMinute: 0, failureRate: null },
        day: { completed: 0, failed: 0, perMinute: 0, failureRate: null },
        week: { completed: 0, failed: 0, perMinute: 0, failureRate: null },
      },
      stuck: 0,
      housekeeping: { retentionDays: 30, jobsDeleted: 0, lastRunAt: null, lastDeleted: 0 },
    });
  });

  it("GET /api/v1/queues lists the four lanes with depth, scheduled and pause state", async () => {
    const { key } = await newTenant();
    await api("/queues/critical/pause", { method: "POST" });
    try {
      const parked = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, priority: "critical" });
      await submit(key, later({ priority: "low" }));
      await submit(key, later({ priority: "low" }));
      const lanes = await json(await api("/queues", { key }), 200);
      expect(lanes).toEqual({
        scope: "tenant",
        items: [
          { lane: "critical", paused: true, depth: 1, scheduled: 0, inFlight: 0 },
          { lane: "high", paused: false, depth: 0, scheduled: 0, inFlight: 0 },
          { lane: "normal", paused: false, depth: 0, scheduled: 0, inFlight: 0 },
          { lane: "low", paused: false, depth: 0, scheduled: 2, inFlight: 0 },
        ],
      });
      await sleep(1_500);
      expect(await json(await api(`/jobs/${parked.id}`, { key }), 200)).toMatchObject({ status: "queued", startedAt: null });

      await json(await api("/queues/critical/resume", { method: "POST" }), 200);
      await waitForStatus(key, parked.id, ["completed"]);
      const after = await json(await api("/queues", { key }), 200);
      expect(after.items[0]).toEqual({ lane: "critical", paused: false, depth: 0, scheduled: 0, inFlight: 0 });
    } finally {
      await api("/queues/critical/resume", { method: "POST" });
    }
  });

  it("GET /api/v1/queues counts running jobs as inFlight", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 3, stepMs: 1_000 }, priority: "high" });
    await waitForStatus(key, job.id, ["running"]);
    const lanes = await json(await api("/queues", { key }), 200);
    expect(lanes.items[1]).toEqual({ lane: "high", paused: false, depth: 0, scheduled: 0, inFlight: 1 });
    await waitForStatus(key, job.id, ["completed"]);
  });
});

describe("a batch of 1,000 jobs", () => {
  it("is accepted in one request and every job completes", { timeout: 180_000 }, async () => {
    const { key } = await newTenant();
    const jobs = Array.from({ length: 1_000 }, (_, i) => ({ type: "simulate", input: { steps: 1, stepMs: 0 }, tags: [`n${i % 10}`] }));
    const res = await api("/jobs/batch", { key, body: { jobs } });
    const batch = await json(res, 202);
    expect(batch.created).toBe(1_000);
    expect(batch.existing).toBe(0);
    expect(batch.items).toHaveLength(1_000);
    expect(new Set(batch.items.map((j: Job) => j.id)).size).toBe(1_000);
    expect(batch.items.every((j: Job) => j.status === "queued")).toBe(true);
    expect(batch.items[999].tags).toEqual(["n9"]);

    // Poll slowly: the queue consumer shares the machine with this test.
    const deadline = Date.now() + 150_000;
    let stats = await json(await api("/stats", { key }), 200);
    while (stats.byStatus.completed !== 1_000 && Date.now() < deadline) {
      await sleep(500);
      stats = await json(await api("/stats", { key }), 200);
    }
    expect(stats).toMatchObject({ total: 1_000, byStatus: { completed: 1_000 }, successRate: 1 });
    expect((await listJobs(key, "tag=n3&limit=200")).items).toHaveLength(100);
  });
});
