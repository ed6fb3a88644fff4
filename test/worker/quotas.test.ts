import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { QUOTA_NAMES, type QuotaName } from "../../src/quotas/limits";
import { usageQuery } from "../../src/quotas/usage";
import { later } from "./api-helpers";
import { api, env, json, newTenant, submit, uploadFile, waitForStatus } from "./helpers";

const BASE = "https://jobs.test/api/v1";
const MIB = 1024 * 1024;
const quick = { type: "simulate", input: { steps: 1, stepMs: 0 } };

const DEFAULT_VARS: Record<QuotaName, string> = {
  schedules: env.QUOTA_SCHEDULES,
  templates: env.QUOTA_TEMPLATES,
  uploadBytes: env.QUOTA_UPLOAD_BYTES,
  datasetRows: env.QUOTA_DATASET_ROWS,
  documentChunks: env.QUOTA_DOCUMENT_CHUNKS,
  liveJobs: env.QUOTA_LIVE_JOBS,
  secrets: env.QUOTA_SECRETS,
};

/** A tenant whose key holds every scope of its own tenant (but is not the platform admin key). */
const tenantWithAllScopes = () => newTenant(["jobs:read", "jobs:write", "reports:read", "reports:write", "admin"]);

/** Sets quota overrides with the platform admin key (the helpers' default key). */
async function setQuotas(tenant: string, quotas: Partial<Record<QuotaName, number | null>>) {
  return json(await api(`/settings?tenant=${tenant}`, { method: "PUT", body: { quotas } }), 200);
}

async function quotasOf(key: string) {
  return (await json(await api("/settings", { key }), 200)).quotas as Record<QuotaName, { limit: number; used: number; source: string }>;
}

/** The 403 envelope of a quota, as the API answers it. */
async function expectQuotaRefusal(res: Response, quota: QuotaName, code: string, detail: { limit: number; used: number; requested: number }) {
  expect(await json(res, 403)).toEqual({
    error: { code, message: expect.stringMatching(new RegExp(`^quota of ${detail.limit} `)), details: { quota, ...detail }, requestId: expect.any(String) },
  });
}

const createSchedule = (key: string) => api("/schedules", { key, body: { name: crypto.randomUUID(), job: quick, cron: "0 9 * * *" } });
const createTemplate = (key: string) => api("/templates", { key, body: { name: crypto.randomUUID(), format: "text", body: "Hello {{ name }}" } });
const send = (key: string, path: string, method: string, body: BodyInit) =>
  exports.default.fetch(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/octet-stream" }, body });

describe("quotas in GET /settings", () => {
  it("shows each quota's use and limit, the defaults coming from the configuration", async () => {
    const { key } = await newTenant();
    const quotas = await quotasOf(key);
    expect(Object.keys(quotas).sort()).toEqual([...QUOTA_NAMES].sort());
    for (const name of QUOTA_NAMES) expect(quotas[name], name).toEqual({ limit: Number(DEFAULT_VARS[name]), used: 0, source: "default" });
    expect(DEFAULT_VARS).toEqual({
      schedules: "1000",
      templates: "500",
      uploadBytes: String(10 * 1024 * MIB),
      datasetRows: "1000000",
      documentChunks: "200000",
      liveJobs: "100000",
      secrets: "1000",
    });
  });

  it("only the platform admin key changes quotas or reads another tenant's settings", async () => {
    const a = await tenantWithAllScopes();
    const b = await newTenant();
    const forbidden = async (res: Response, message: string) =>
      expect(await json(res, 403)).toEqual({ error: { code: "forbidden", message, requestId: expect.any(String) } });
    await forbidden(await api("/settings", { key: a.key, method: "PUT", body: { quotas: { templates: 1000 } } }), "quotas are set by the platform admin key");
    await forbidden(await api(`/settings?tenant=${b.tenant}`, { key: a.key }), "only the platform admin key reads or changes another tenant's settings");
    await forbidden(
      await api(`/settings?tenant=${b.tenant}`, { key: a.key, method: "PUT", body: { jobs: { retentionDays: 1 } } }),
      "only the platform admin key reads or changes another tenant's settings",
    );
    expect((await quotasOf(a.key)).templates).toEqual({ limit: 500, used: 0, source: "default" });
    // Naming its own tenant is the same as naming none.
    expect(await json(await api(`/settings?tenant=${a.tenant}`, { key: a.key }), 200)).toEqual(await json(await api("/settings", { key: a.key }), 200));

    const set = await setQuotas(a.tenant, { templates: 7, liveJobs: 20 });
    expect(set.quotas).toMatchObject({ templates: { limit: 7, used: 0, source: "override" }, liveJobs: { limit: 20, source: "override" } });
    expect(await json(await api(`/settings?tenant=${a.tenant}`), 200)).toEqual(set);
    // Fields left out keep their override; null returns one to the default.
    const cleared = await setQuotas(a.tenant, { templates: null });
    expect(cleared.quotas).toMatchObject({ templates: { limit: 500, source: "default" }, liveJobs: { limit: 20, source: "override" } });
    expect((await quotasOf(b.key)).liveJobs).toEqual({ limit: 100_000, used: 0, source: "default" });

    // Other sections go on working beside quotas, and the tenant's own settings stay its own to change.
    const changed = await json(await api("/settings", { key: a.key, method: "PUT", body: { jobs: { retentionDays: 3 }, reports: { keepVersions: 2 } } }), 200);
    expect(changed).toMatchObject({ jobs: { retentionDays: 3 }, reports: { keepVersions: 2 }, quotas: { liveJobs: { limit: 20 } } });
    const bad = await json(await api(`/settings?tenant=${a.tenant}`, { method: "PUT", body: { quotas: { templates: -1 } } }), 400);
    expect(bad.error.code).toBe("validation_failed");
    expect((await json(await api(`/settings?tenant=${a.tenant}`, { method: "PUT", body: { quotas: { widgets: 3 } } }), 400)).error.code).toBe("validation_failed");
  });
});

describe("each quota refuses the write that would exceed it", () => {
  it("schedules", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await setQuotas(a.tenant, { schedules: 1 });
    expect((await createSchedule(a.key)).status).toBe(201);
    await expectQuotaRefusal(await createSchedule(a.key), "schedules", "quota_schedules", { limit: 1, used: 1, requested: 1 });
    expect((await json(await api("/schedules", { key: a.key }), 200)).items).toHaveLength(1);
    for (let i = 0; i < 2; i++) expect((await createSchedule(b.key)).status).toBe(201);

    await setQuotas(a.tenant, { schedules: 2 });
    expect((await createSchedule(a.key)).status).toBe(201);
    expect((await quotasOf(a.key)).schedules).toEqual({ limit: 2, used: 2, source: "override" });
    expect((await quotasOf(b.key)).schedules).toEqual({ limit: 1000, used: 2, source: "default" });
    await api(`/settings?tenant=${a.tenant}`, { method: "PUT", body: { quotas: { schedules: null } } });
  });

  it("secrets, where replacing one adds none", async () => {
    const a = await newTenant(["admin"]);
    const b = await newTenant(["admin"]);
    const put = (key: string, name: string) => api(`/secrets/${name}`, { key, method: "PUT", body: { value: "v" } });
    await setQuotas(a.tenant, { secrets: 1 });
    expect((await put(a.key, "one")).status).toBe(201);
    await expectQuotaRefusal(await put(a.key, "two"), "secrets", "quota_secrets", { limit: 1, used: 1, requested: 1 });
    expect((await put(a.key, "one")).status).toBe(200);
    expect((await put(b.key, "two")).status).toBe(201);
    await setQuotas(a.tenant, { secrets: 2 });
    expect((await put(a.key, "two")).status).toBe(201);
    expect((await quotasOf(a.key)).secrets).toEqual({ limit: 2, used: 2, source: "override" });
    expect((await quotasOf(b.key)).secrets).toEqual({ limit: 1000, used: 1, source: "default" });
  });

  it("templates", async () => {
    const a = await newTenant(["reports:read", "reports:write"]);
    const b = await newTenant(["reports:read", "reports:write"]);
    await setQuotas(a.tenant, { templates: 1 });
    expect((await createTemplate(a.key)).status).toBe(201);
    await expectQuotaRefusal(await createTemplate(a.key), "templates", "quota_templates", { limit: 1, used: 1, requested: 1 });
    expect((await createTemplate(b.key)).status).toBe(201);
    expect((await createTemplate(b.key)).status).toBe(201);
    await setQuotas(a.tenant, { templates: 3 });
    expect((await createTemplate(a.key)).status).toBe(201);
    expect((await quotasOf(a.key)).templates).toEqual({ limit: 3, used: 2, source: "override" });
  });

  it("stored upload bytes, counting an open multipart upload's parts as they arrive", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await setQuotas(a.tenant, { uploadBytes: 10 });
    await uploadFile(a.key, "six.txt", "text/plain", "123456");
    await expectQuotaRefusal(await send(a.key, "/uploads?name=five.txt", "POST", "12345"), "uploadBytes", "quota_upload_bytes", { limit: 10, used: 6, requested: 5 });
    await uploadFile(b.key, "twelve.txt", "text/plain", "123456789012");
    expect((await quotasOf(a.key)).uploadBytes).toEqual({ limit: 10, used: 6, source: "override" });

    await setQuotas(a.tenant, { uploadBytes: 6 + 5 * MIB + 100 });
    const started = await json(await api("/uploads/multipart", { key: a.key, body: { name: "big.bin" } }), 201);
    const first = await json(await send(a.key, `/uploads/${started.id}/parts/1`, "PUT", new Uint8Array(5 * MIB).fill(1)), 200);
    expect((await quotasOf(a.key)).uploadBytes).toMatchObject({ used: 6 + 5 * MIB });
    const tail = new Uint8Array(200).fill(2);
    await expectQuotaRefusal(await send(a.key, `/uploads/${started.id}/parts/2`, "PUT", tail), "uploadBytes", "quota_upload_bytes", {
      limit: 6 + 5 * MIB + 100,
      used: 6 + 5 * MIB,
      requested: 200,
    });
    await setQuotas(a.tenant, { uploadBytes: 6 + 5 * MIB + 200 });
    const second = await json(await send(a.key, `/uploads/${started.id}/parts/2`, "PUT", tail), 200);
    const done = await json(await api(`/uploads/${started.id}/complete`, { key: a.key, body: { parts: [first, second] } }), 200);
    expect(done).toMatchObject({ status: "stored", size: 5 * MIB + 200 });
    expect((await quotasOf(a.key)).uploadBytes).toMatchObject({ used: 6 + 5 * MIB + 200 });
    expect((await quotasOf(b.key)).uploadBytes).toMatchObject({ used: 12, source: "default" });
  });

  it("dataset rows, counting only the rows an import adds", async () => {
    const { tenant, key } = await newTenant();
    const csv = ["id,name", ...[1, 2, 3, 4, 5].map((i) => `${i},person ${i}`)].join("\n");
    const file = await uploadFile(key, "people.csv", "text/csv", csv);
    const input = { uploadId: file.id, dataset: "people", schema: { fields: [{ name: "id", type: "integer", required: true }, { name: "name" }], key: "id" } };
    await setQuotas(tenant, { datasetRows: 3 });
    const refused = await waitForStatus(key, (await submit(key, { type: "bulk.import", input })).id, ["completed", "failed"], 30_000);
    expect(refused).toMatchObject({ status: "failed", attempts: 1, error: { message: expect.stringMatching(/^quota of 3 dataset rows reached/) } });
    expect((await quotasOf(key)).datasetRows).toEqual({ limit: 3, used: 0, source: "override" });

    await setQuotas(tenant, { datasetRows: 5 });
    const imported = await waitForStatus(key, (await submit(key, { type: "bulk.import", input })).id, ["completed", "failed"], 30_000);
    expect(imported).toMatchObject({ status: "completed", result: { imported: 5 } });
    // Importing the same keys again replaces rows and adds none, so a full quota lets it through.
    const again = await waitForStatus(key, (await submit(key, { type: "bulk.import", input })).id, ["completed", "failed"], 30_000);
    expect(again).toMatchObject({ status: "completed", result: { imported: 5 } });
    expect((await quotasOf(key)).datasetRows).toEqual({ limit: 5, used: 5, source: "override" });
  });

  it("document chunks", async () => {
    const { tenant, key } = await newTenant();
    const text = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
    const file = await uploadFile(key, "words.txt", "text/plain", text);
    const ingest = async () => {
      const doc = await json(await api("/documents", { key, body: { uploadId: file.id, collection: "c", chunkSize: 100, chunkOverlap: 0 } }), 202);
      await waitForStatus(key, doc.jobId, ["completed", "failed"], 30_000);
      return json(await api(`/documents/${doc.id}`, { key }), 200);
    };
    await setQuotas(tenant, { documentChunks: 2 });
    expect(await ingest()).toMatchObject({ status: "failed", error: expect.stringMatching(/^quota of 2 document chunks reached/) });
    await setQuotas(tenant, { documentChunks: 20 });
    const done = await ingest();
    expect(done).toMatchObject({ status: "completed" });
    expect(done.chunks).toBeGreaterThan(2);
    expect((await quotasOf(key)).documentChunks).toEqual({ limit: 20, used: done.chunks, source: "override" });
  });

  it("live jobs (queued, running or retrying), counting every job of a batch but no idempotent repeat", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await setQuotas(a.tenant, { liveJobs: 2 });
    await submit(a.key, later());
    await expectQuotaRefusal(await api("/jobs/batch", { key: a.key, body: { jobs: [later(), later()] } }), "liveJobs", "quota_live_jobs", { limit: 2, used: 1, requested: 2 });
    const second = await submit(a.key, later({ idempotencyKey: "second" }));
    await expectQuotaRefusal(await api("/jobs", { key: a.key, body: later() }), "liveJobs", "quota_live_jobs", { limit: 2, used: 2, requested: 1 });
    // A retry of an accepted submission adds no job: it is answered with that job, not refused.
    expect(await json(await api("/jobs", { key: a.key, body: later({ idempotencyKey: "second" }) }), 200)).toMatchObject({ id: second.id });
    expect((await json(await api("/jobs?limit=10", { key: a.key }), 200)).items).toHaveLength(2);
    for (let i = 0; i < 3; i++) await submit(b.key, later());

    // A finished job no longer counts.
    expect((await api(`/jobs/${second.id}/cancel`, { key: a.key, method: "POST" })).status).toBe(200);
    await submit(a.key, later());
    // Running a finished job again makes it live: the quota refuses it as it refuses a new job.
    await expectQuotaRefusal(await api(`/jobs/${second.id}/retry`, { key: a.key, method: "POST" }), "liveJobs", "quota_live_jobs", { limit: 2, used: 2, requested: 1 });
    await setQuotas(a.tenant, { liveJobs: 4 });
    expect((await api("/jobs/batch", { key: a.key, body: { jobs: [later(), later()] } })).status).toBe(202);
    expect((await quotasOf(a.key)).liveJobs).toEqual({ limit: 4, used: 4, source: "override" });
    expect((await quotasOf(b.key)).liveJobs).toEqual({ limit: 100_000, used: 3, source: "default" });
  });

  it("decides the live-jobs quota for a whole batch, however many insert statements carry it", async () => {
    const { key, tenant } = await newTenant();
    await submit(key, later());
    // About 3 MB of rows: the submission writes them with several inserts (src/engine/json-chunks.ts).
    const padded = () => later({ type: "http.request", input: { url: "https://example.com/", method: "POST", body: "x".repeat(7_500) } });
    const batch = { jobs: Array.from({ length: 400 }, padded) };
    await setQuotas(tenant, { liveJobs: 400 });
    await expectQuotaRefusal(await api("/jobs/batch", { key, body: batch }), "liveJobs", "quota_live_jobs", { limit: 400, used: 1, requested: 400 });
    expect((await quotasOf(key)).liveJobs).toMatchObject({ used: 1 });
    // One more of room and every row goes in: a later insert does not count the earlier ones' rows twice.
    await setQuotas(tenant, { liveJobs: 401 });
    expect((await api("/jobs/batch", { key, body: batch })).status).toBe(202);
    expect((await quotasOf(key)).liveJobs).toMatchObject({ limit: 401, used: 401 });
  });
});

describe("counting", () => {
  it("reads only the tenant's own rows, through an index", async () => {
    const db = database(env);
    for (const quota of QUOTA_NAMES) {
      const { sql, params } = usageQuery(db, "t-explain", quota).toSQL();
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
      const steps = plan.results.map((r) => r.detail);
      expect(steps.filter((s) => /^SCAN /.test(s)), `${quota}: ${steps.join("; ")}`).toEqual([]);
      expect(steps.some((s) => / USING (COVERING )?INDEX | USING PRIMARY KEY/.test(s)), `${quota}: ${steps.join("; ")}`).toBe(true);
    }
  });
});
