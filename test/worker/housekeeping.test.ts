import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { idLowerBound } from "../../src/engine/ids";
import { everyDatabase, onDatabase } from "../../src/db/shards";
import { type CleanupOptions, EXPIRED_JOBS, cleanUpJobs } from "../../src/housekeeping/jobs";
import { expectError, later } from "./api-helpers";
import { handler, insertJob } from "./engine-helpers";
import { api, dbOf, env, envOf, json, newTenant, rowsInEveryShard, submit, tenantBeside, uploadFile, waitForStatus } from "./helpers";

/** The sections of the settings this file does not change, as a new tenant has them. */
const OTHER_DEFAULTS = { marketplace: { displayName: null }, search: { analytics: true, retentionDays: null, effectiveRetentionDays: 30 } };

/** `count` new tenants whose data shares one shard. */
async function tenantsOfOneShard(count: number) {
  const first = await newTenant();
  const tenants = [first];
  while (tenants.length < count) tenants.push(await tenantBeside(first.tenant));
  return tenants;
}

const DAY = 86_400_000;
const FINISHED_STATUSES = ["completed", "failed", "cancelled"];
const CHILD_TABLES = ["attempts", "job_logs", "job_tags", "dead_letters", "batch_items", "schedule_runs", "rate_limit_hits"] as const;

/** A job row that finished `daysAgo` days before `now` (or is unfinished, with `status` overridden). */
async function finishedJob(tenant: string, daysAgo: number, overrides: Record<string, unknown> = {}, now = Date.now()) {
  const at = now - daysAgo * DAY;
  return insertJob(tenant, { type: "simulate" }, { status: "completed", createdAt: at, startedAt: at, finishedAt: at, dispatchDueAt: null, ...overrides });
}

/** One row in every table that hangs off a job, as the engine, batches, schedules and rate limits write them. */
async function addChildren(tenant: string, jobId: string, now = Date.now()) {
  const db = dbOf(tenant);
  const schedule = `sch_${crypto.randomUUID()}`;
  await db.batch([
    db.prepare("INSERT INTO attempts (job_id, series, attempt, started_at, finished_at, outcome) VALUES (?, 0, 1, ?, ?, 'succeeded')").bind(jobId, now, now),
    db.prepare("INSERT INTO job_logs (job_id, at, attempt, level, message) VALUES (?, ?, 1, 'info', 'hello')").bind(jobId, now),
    db.prepare("INSERT INTO job_tags (tenant, tag, job_id) VALUES (?, 'nightly', ?)").bind(tenant, jobId),
    db.prepare("UPDATE jobs SET tags = json_insert(tags, '$[#]', 'nightly') WHERE id = ?").bind(jobId),
    db.prepare("INSERT INTO dead_letters (job_id, tenant, failed_at, error) VALUES (?, ?, ?, 'boom')").bind(jobId, tenant, now),
    db.prepare("INSERT INTO batch_items (job_id, idx, status, input) VALUES (?, 0, 'succeeded', '{}')").bind(jobId),
    db.prepare("INSERT INTO schedules (id, tenant, name, job, created_at, updated_at) VALUES (?, ?, ?, '{}', ?, ?)").bind(schedule, tenant, schedule, now, now),
    db.prepare("INSERT INTO schedule_runs (schedule_id, instant, \"trigger\", tenant, job_id, created_at) VALUES (?, ?, 'schedule', ?, ?, ?)").bind(schedule, now, tenant, jobId, now),
    db.prepare("INSERT INTO rate_limit_hits (tenant, action, key, at, job_id) VALUES (?, 'simulate', '', ?, ?)").bind(tenant, now, jobId),
  ]);
}

async function childCounts(jobId: string) {
  const counts: Record<string, number> = {};
  for (const table of CHILD_TABLES) {
    const perShard = await rowsInEveryShard<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE job_id = ?`, jobId);
    counts[table] = perShard.reduce((sum, row) => sum + row.n, 0);
  }
  return counts;
}

const none = Object.fromEntries(CHILD_TABLES.map((t) => [t, 0]));
const one = Object.fromEntries(CHILD_TABLES.map((t) => [t, 1]));

async function exists(jobId: string) {
  return (await rowsInEveryShard("SELECT 1 FROM jobs WHERE id = ?", jobId)).length === 1;
}

/** Cleans up every shard until nothing more is due (what earlier tests of this file left). */
async function cleanUpEverywhere(options: CleanupOptions = {}) {
  for (const { binding } of everyDatabase(env)) {
    while ((await cleanUpJobs(onDatabase(env, binding), options)).more);
  }
}

async function runCron(scheduledTime = Date.now()) {
  await handler.scheduled!(createScheduledController({ scheduledTime, cron: "* * * * *" }), env, createExecutionContext());
}

async function housekeepingOf(key: string) {
  return (await json(await api("/stats", { key }), 200)).housekeeping;
}

const jobSettings = (retentionDays: number | null, concurrencyLimit: number | null = null) => ({
  retentionDays,
  effectiveRetentionDays: retentionDays ?? 30,
  concurrencyLimit,
});

describe("job settings", () => {
  it("shows the defaults, and an admin key changes one section or field at a time", async () => {
    const { key } = await newTenant(["admin"]);
    expect(await json(await api("/settings", { key }), 200)).toEqual({ reports: { keepVersions: null }, jobs: jobSettings(null), quotas: expect.any(Object), ...OTHER_DEFAULTS });

    const put = (body: unknown) => api("/settings", { key, method: "PUT", body });
    expect(await json(await put({ jobs: { retentionDays: 7 } }), 200)).toEqual({ reports: { keepVersions: null }, jobs: jobSettings(7), quotas: expect.any(Object), ...OTHER_DEFAULTS });
    expect(await json(await put({ jobs: { concurrencyLimit: 25 } }), 200)).toEqual({ reports: { keepVersions: null }, jobs: jobSettings(7, 25), quotas: expect.any(Object), ...OTHER_DEFAULTS });
    expect(await json(await put({ reports: { keepVersions: 4 } }), 200)).toEqual({ reports: { keepVersions: 4 }, jobs: jobSettings(7, 25), quotas: expect.any(Object), ...OTHER_DEFAULTS });
    expect(await json(await put({ jobs: { retentionDays: null }, reports: { keepVersions: null } }), 200)).toEqual({
      reports: { keepVersions: null },
      jobs: jobSettings(null, 25),
      quotas: expect.any(Object),
      ...OTHER_DEFAULTS,
    });
    expect(await json(await api("/settings", { key }), 200)).toEqual({ reports: { keepVersions: null }, jobs: jobSettings(null, 25), quotas: expect.any(Object), ...OTHER_DEFAULTS });
  });

  it("refuses bad values with a 400 and changes nothing", async () => {
    const { key } = await newTenant(["admin"]);
    await json(await api("/settings", { key, method: "PUT", body: { jobs: { retentionDays: 10, concurrencyLimit: 3 } } }), 200);
    const before = await json(await api("/settings", { key }), 200);
    const bad: [unknown, string][] = [
      [{}, ""],
      [{ jobs: {} }, "jobs"],
      [{ jobs: { retentionDays: 0 } }, "jobs.retentionDays"],
      [{ jobs: { retentionDays: 3651 } }, "jobs.retentionDays"],
      [{ jobs: { retentionDays: 1.5 } }, "jobs.retentionDays"],
      [{ jobs: { retentionDays: "7" } }, "jobs.retentionDays"],
      [{ jobs: { concurrencyLimit: 0 } }, "jobs.concurrencyLimit"],
      [{ jobs: { concurrencyLimit: 10_001 } }, "jobs.concurrencyLimit"],
      [{ jobs: { retentionDays: 5, retention: 5 } }, "jobs"],
      [{ job: { retentionDays: 5 } }, ""],
      [{ jobs: { retentionDays: 5 }, reports: { keepVersions: 0 } }, "reports.keepVersions"],
    ];
    for (const [body, path] of bad) {
      const error = await expectError(await api("/settings", { key, method: "PUT", body }), 400, "validation_failed");
      expect(error.details!.map((d) => d.path), JSON.stringify(body)).toContain(path);
    }
    await expectError(await api("/settings", { key, method: "PUT", body: "{not json" }), 400, "malformed_json");
    expect(await json(await api("/settings", { key }), 200)).toEqual(before);
  });

  it("reading needs jobs:read or reports:read; the jobs section needs admin, the reports section reports:write", async () => {
    const jobsReader = await newTenant(["jobs:read"]);
    const reportsReader = await newTenant(["reports:read"]);
    const writerOnly = await newTenant(["jobs:write"]);
    await json(await api("/settings", { key: jobsReader.key }), 200);
    await json(await api("/settings", { key: reportsReader.key }), 200);
    await expectError(await api("/settings", { key: writerOnly.key }), 403, "forbidden");
    await expectError(await api("/settings", { key: null }), 401, "unauthorized");

    const reportsWriter = await newTenant(["reports:read", "reports:write"]);
    const jobsBody = { jobs: { retentionDays: 3 } };
    await expectError(await api("/settings", { key: reportsWriter.key, method: "PUT", body: jobsBody }), 403, "forbidden");
    await expectError(await api("/settings", { key: reportsWriter.key, method: "PUT", body: { ...jobsBody, reports: { keepVersions: 2 } } }), 403, "forbidden");
    await expectError(await api("/settings", { key: writerOnly.key, method: "PUT", body: jobsBody }), 403, "forbidden");
    expect(await json(await api("/settings", { key: reportsWriter.key }), 200)).toEqual({ reports: { keepVersions: null }, jobs: jobSettings(null), quotas: expect.any(Object), ...OTHER_DEFAULTS });
    await json(await api("/settings", { key: reportsWriter.key, method: "PUT", body: { reports: { keepVersions: 2 } } }), 200);
  });
});

describe("job housekeeping", () => {
  it("the Cron Trigger deletes each tenant's expired finished jobs with their rows and files, and nothing else", async () => {
    // The Cron Trigger fires 31 days from now: the real jobs below are past A's 30 days by then. (A
    // job's id carries its creation time, so jobs cannot be aged in place.) What earlier tests of
    // this file left is expired by then too: cleared first, so that one run covers this test's tenants.
    const cronAt = Date.now() + 31 * DAY;
    await cleanUpEverywhere({ now: cronAt });
    const a = await newTenant(["jobs:read", "jobs:write"]);
    const b = await newTenant(["admin"]);
    await json(await api("/settings", { key: b.key, method: "PUT", body: { jobs: { retentionDays: 2 } } }), 200);

    // Real jobs of A, run to the end: a tagged success, a dead-lettered failure, a durable job with
    // logs, an import with an error report and an export.
    const csv = await uploadFile(a.key, "people.csv", "text/csv", "id,name\n1,Ada\nnope,Bob\n");
    const schema = { key: "id", fields: [{ name: "id", type: "integer", required: true }, { name: "name", type: "string" }] };
    const submitted = await Promise.all([
      submit(a.key, { type: "simulate", input: { steps: 1, stepMs: 0 }, tags: ["nightly"] }),
      submit(a.key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true } }),
      submit(a.key, { type: "simulate", input: { steps: 2, stepMs: 0, durable: true } }),
      submit(a.key, { type: "bulk.import", input: { uploadId: csv.id, dataset: "people", schema } }),
    ]);
    const finished = await Promise.all(submitted.map((job) => waitForStatus(a.key, job.id, FINISHED_STATUSES, 60_000)));
    const exported: any = await waitForStatus(a.key, (await submit(a.key, { type: "export", input: { source: "jobs" } })).id, FINISHED_STATUSES, 60_000);
    expect(exported.status).toBe("completed");
    const [tagged, deadLettered, durable, imported] = finished as any[];
    expect(deadLettered.status).toBe("failed");
    const errorReport = imported.result.errorReport.uploadId as string;
    expect(await env.BUCKET.head(`uploads/${a.tenant}/${errorReport}`)).not.toBeNull();
    const old = [tagged, deadLettered, durable, imported, exported];
    const before = await Promise.all(old.map((job) => childCounts(job.id)));
    // Each succeeded or failed at its first attempt, which its job row holds: no attempt rows.
    expect(before.map((c) => c.attempts)).toEqual([0, 0, 0, 0, 0]);
    expect(before[0]!.job_tags).toBe(1);
    expect(before[1]!.dead_letters).toBe(1);
    expect(before[2]!.job_logs).toBeGreaterThan(0);
    const finishedBeforeCron = (tenant: string, days: number, overrides: Record<string, unknown> = {}) =>
      finishedJob(tenant, days, overrides, cronAt);

    // An export that was cancelled halfway, leaving a segment behind.
    const cancelledExport = await finishedBeforeCron(a.tenant, 40, { type: "export", status: "cancelled" });
    await env.BUCKET.put(`exports/${a.tenant}/${cancelledExport.id}/0`, "half an export");
    // What A keeps: a job inside the default 30 days, and unfinished jobs however old (one with a stale finished_at).
    const recentA = await finishedBeforeCron(a.tenant, 3);
    const queued = await submit(a.key, later());
    const unfinished = [
      queued.id,
      (await finishedBeforeCron(a.tenant, 400, { status: "running", finishedAt: null, heartbeatAt: Date.now() })).id,
      (await finishedBeforeCron(a.tenant, 400, { status: "retrying", finishedAt: null, runAt: cronAt + DAY, dispatchDueAt: cronAt + DAY })).id,
      (await finishedBeforeCron(a.tenant, 400, { status: "queued", runAt: cronAt + DAY, dispatchDueAt: cronAt + DAY })).id,
      (await finishedBeforeCron(a.tenant, 400, { status: "queued", finishedAt: cronAt - 400 * DAY, runAt: cronAt + DAY, dispatchDueAt: cronAt + DAY })).id,
    ];
    for (const id of [recentA.id, ...unfinished]) await addChildren(a.tenant, id, cronAt);
    // B keeps 2 days: its job of 3 days ago goes, its job of yesterday stays.
    const expiredB = await finishedBeforeCron(b.tenant, 3, { status: "failed" });
    const keptB = await finishedBeforeCron(b.tenant, 1);
    for (const id of [expiredB.id, keptB.id]) await addChildren(b.tenant, id, cronAt);

    await runCron(cronAt);

    for (const job of [...old, cancelledExport, expiredB]) {
      expect(await exists(job.id), job.id).toBe(false);
      expect(await childCounts(job.id), job.id).toEqual(none);
    }
    await expectError(await api(`/jobs/${tagged.id}`, { key: a.key }), 404, "not_found");
    for (const id of [recentA.id, ...unfinished, keptB.id]) {
      expect(await exists(id), id).toBe(true);
      expect(await childCounts(id), id).toEqual(one);
    }
    expect(await exists(queued.id)).toBe(true);
    // The files the jobs made are gone; the tenant's own upload stays.
    await expectError(await api(`/uploads/${exported.result.uploadId}`, { key: a.key }), 404, "not_found");
    await expectError(await api(`/uploads/${errorReport}`, { key: a.key }), 404, "not_found");
    expect((await env.BUCKET.list({ prefix: `exports/${a.tenant}/` })).objects).toEqual([]);
    expect((await env.BUCKET.list({ prefix: `uploads/${a.tenant}/` })).objects.map((o) => o.key)).toEqual([`uploads/${a.tenant}/${csv.id}`]);
    await json(await api(`/uploads/${csv.id}`, { key: a.key }), 200);

    expect(await housekeepingOf(a.key)).toEqual({ retentionDays: 30, jobsDeleted: 6, lastRunAt: expect.any(String), lastDeleted: 6 });
    expect(await housekeepingOf(b.key)).toEqual({ retentionDays: 2, jobsDeleted: 1, lastRunAt: expect.any(String), lastDeleted: 1 });
    // A second run finds nothing due and leaves the records as they are.
    const recorded = await housekeepingOf(a.key);
    await runCron(cronAt);
    expect(await housekeepingOf(a.key)).toEqual(recorded);
  });

  it("works a large backlog off in bounded batches, reporting that more remains", async () => {
    const { tenant } = await newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await finishedJob(tenant, 60 + i)).id);
    for (const id of ids) await addChildren(tenant, id);
    const keep = await finishedJob(tenant, 1);

    const run = () => cleanUpJobs(envOf(tenant), { tenant, batchSize: 2, maxJobs: 5 });
    expect(await run()).toEqual({ tenants: 1, jobs: 5, attempts: 5, logs: 5, artefacts: 0, more: true });
    // Oldest first: the two most recently finished are left.
    expect(await Promise.all(ids.map(exists))).toEqual([true, true, false, false, false, false, false]);
    expect(await run()).toEqual({ tenants: 1, jobs: 2, attempts: 2, logs: 2, artefacts: 0, more: false });
    expect(await run()).toEqual({ tenants: 1, jobs: 0, attempts: 0, logs: 0, artefacts: 0, more: false });
    expect(await exists(keep.id)).toBe(true);
    const row = await dbOf(tenant).prepare("SELECT jobs_deleted AS total, last_deleted AS last FROM housekeeping WHERE tenant = ?").bind(tenant).first();
    expect(row).toEqual({ total: 7, last: 0 });
  });

  it("keeps the rate-limit hits of deleted jobs that a tenant's rule still counts", async () => {
    const { tenant, key } = await newTenant(["admin"]);
    await json(await api("/settings", { key, method: "PUT", body: { jobs: { retentionDays: 1 } } }), 200);
    const now = Date.now();
    await dbOf(tenant).prepare("INSERT INTO rate_limit_rules (tenant, action, \"limit\", window_ms, updated_at) VALUES (?, 'simulate', 10, ?, ?)")
      .bind(tenant, 7 * DAY, now)
      .run();
    const counted = await finishedJob(tenant, 3);
    const unruled = await finishedJob(tenant, 3);
    const hit = dbOf(tenant).prepare("INSERT INTO rate_limit_hits (tenant, action, key, at, job_id) VALUES (?, ?, '', ?, ?)");
    await dbOf(tenant).batch([hit.bind(tenant, "simulate", now - 3 * DAY, counted.id), hit.bind(tenant, "export", now - 3 * DAY, unruled.id)]);

    expect(await cleanUpJobs(envOf(tenant), { tenant, now })).toMatchObject({ jobs: 2 });
    const { results } = await dbOf(tenant).prepare("SELECT job_id AS id FROM rate_limit_hits WHERE tenant = ?").bind(tenant).all();
    expect(results).toEqual([{ id: counted.id }]);
  });

  it("serves a bounded number of tenants per run, least recently cleaned first", async () => {
    await cleanUpEverywhere();
    // Tenants of one shard: each database's housekeeping serves its own tenants.
    const tenants = await tenantsOfOneShard(3);
    const shard = envOf(tenants[0]!.tenant);
    const jobs = new Map<string, string[]>();
    for (const [i, t] of tenants.entries()) {
      const ids = [];
      for (let n = 0; n < (i === 0 ? 10 : 1); n++) ids.push((await finishedJob(t.tenant, 40 + n)).id);
      jobs.set(t.tenant, ids);
    }
    const remaining = async () => Promise.all(tenants.map(async (t) => (await Promise.all(jobs.get(t.tenant)!.map(exists))).filter(Boolean).length));

    for (let run = 0; run < 3; run++) {
      expect(await cleanUpJobs(shard, { maxTenants: 1, maxJobs: 4 })).toMatchObject({ tenants: 1, more: true });
    }
    // Each tenant had one run, however large the first one's backlog.
    expect(await remaining()).toEqual([6, 0, 0]);
    expect(await cleanUpJobs(shard, { maxTenants: 1, maxJobs: 4 })).toMatchObject({ tenants: 1, jobs: 4, more: true });
    expect(await cleanUpJobs(shard, { maxTenants: 1, maxJobs: 4 })).toMatchObject({ tenants: 1, jobs: 2, more: false });
    expect(await remaining()).toEqual([0, 0, 0]);
  });

  it("the cleanup endpoint deletes at most 2,000 jobs a call, in D1 batches of 500", async () => {
    const { tenant, key } = await newTenant(["admin"]);
    const old = Date.now() - 90 * DAY;
    await dbOf(tenant).prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2005)
       INSERT INTO jobs (id, tenant, type, status, priority, input, max_attempts, timeout_ms, run_at, created_at, finished_at)
       SELECT printf('%sBULK%05d', ?3, i), ?1, 'simulate', 'completed', 'normal', '{}', 1, 1000, ?2, ?2, ?2 + i FROM n`,
    )
      .bind(tenant, old, idLowerBound("job", old))
      .run();
    await dbOf(tenant).prepare(
      "INSERT INTO attempts (job_id, series, attempt, started_at, outcome) SELECT id, 0, 1, created_at, 'succeeded' FROM jobs WHERE tenant = ?",
    )
      .bind(tenant)
      .run();

    const cleanup = () => api("/maintenance/cleanup", { key, method: "POST" });
    expect(await json(await cleanup(), 200)).toEqual({ tenants: 1, jobs: 2000, attempts: 2000, logs: 0, artefacts: 0, more: true });
    expect(await json(await cleanup(), 200)).toEqual({ tenants: 1, jobs: 5, attempts: 5, logs: 0, artefacts: 0, more: false });
    expect(await housekeepingOf(key)).toEqual({ retentionDays: 30, jobsDeleted: 2005, lastRunAt: expect.any(String), lastDeleted: 5 });
  });

  it("the cleanup endpoint needs admin, and only the platform admin reaches other tenants", async () => {
    const own = await newTenant(["admin"]);
    const other = await newTenant(["admin"]);
    const writer = await newTenant(["jobs:read", "jobs:write"]);
    const [mine, theirs, writers] = [await finishedJob(own.tenant, 31), await finishedJob(other.tenant, 31), await finishedJob(writer.tenant, 31)];

    await expectError(await api("/maintenance/cleanup", { key: null, method: "POST" }), 401, "unauthorized");
    await expectError(await api("/maintenance/cleanup", { key: writer.key, method: "POST" }), 403, "forbidden");
    await expectError(await api(`/maintenance/cleanup?tenant=${other.tenant}`, { key: own.key, method: "POST" }), 403, "forbidden");
    await expectError(await api("/maintenance/cleanup?tenant=*", { key: own.key, method: "POST" }), 403, "forbidden");
    await expectError(await api("/maintenance/cleanup?tenant=", { method: "POST" }), 400, "validation_failed");
    expect(await exists(writers.id)).toBe(true);

    expect(await json(await api("/maintenance/cleanup", { key: own.key, method: "POST" }), 200)).toMatchObject({ tenants: 1, jobs: 1, more: false });
    expect([await exists(mine.id), await exists(theirs.id)]).toEqual([false, true]);
    expect(await json(await api(`/maintenance/cleanup?tenant=${other.tenant}`, { method: "POST" }), 200)).toMatchObject({ tenants: 1, jobs: 1 });
    expect(await exists(theirs.id)).toBe(false);
    const all = await json(await api("/maintenance/cleanup?tenant=*", { method: "POST" }), 200);
    expect(all.jobs).toBeGreaterThanOrEqual(1);
    expect(await exists(writers.id)).toBe(false);
  });

  it("stats show what housekeeping did for the tenant", async () => {
    const { tenant, key } = await newTenant(["admin"]);
    expect(await housekeepingOf(key)).toEqual({ retentionDays: 30, jobsDeleted: 0, lastRunAt: null, lastDeleted: 0 });
    await json(await api("/settings", { key, method: "PUT", body: { jobs: { retentionDays: 5 } } }), 200);
    await finishedJob(tenant, 6);
    await finishedJob(tenant, 7);
    const now = Date.now();
    await cleanUpJobs(envOf(tenant), { tenant, now });
    expect(await housekeepingOf(key)).toEqual({ retentionDays: 5, jobsDeleted: 2, lastRunAt: new Date(now).toISOString(), lastDeleted: 2 });
  });

  it("the OpenAPI document describes the cleanup, the settings update and the stats", async () => {
    const doc = await json(await api("/openapi.json"), 200);
    expect(Object.keys(doc.paths["/api/v1/maintenance/cleanup"])).toEqual(["post"]);
    expect(Object.keys(doc.paths["/api/v1/settings"]).sort()).toEqual(["get", "put"]);
    expect(Object.keys(doc.components.schemas.TenantSettingsUpdate.properties).sort()).toEqual(["jobs", "marketplace", "quotas", "reports", "search"]);
    expect(Object.keys(doc.components.schemas.Stats.properties)).toContain("housekeeping");
  });

  it("selects expired jobs through the tenant's status ranges, no further than ids created before the cutoff", async () => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${EXPIRED_JOBS}`).bind("t", Date.now(), 500).all<{ detail: string }>();
    expect(results.map((r) => r.detail)).toEqual([expect.stringMatching(/USING INDEX jobs_tenant_status_id \(tenant=\? AND status=\? AND id<\?\)/)]);
  });
});
