import { api, json, newTenant, submit, uploadFile, waitForStatus } from "../helpers";

const ALL_SCOPES = ["jobs:read", "jobs:write", "reports:read", "reports:write", "admin"];

/** The keys a fuzzed request may carry. */
export interface FuzzKeys {
  /** Every scope of the tenant: most requests, so they get past auth to validation and handlers. */
  full: string;
  readOnly: string;
  revoked: string;
  platformAdmin: string;
}

/**
 * Real resources of the fuzzing tenant, so path parameters can name things that exist and reach
 * the handlers: keyed by the first path segment after /api/v1 and the parameter name.
 */
export type IdPools = Map<string, string[]>;

export const poolKey = (segment: string, param: string) => `${segment}:${param}`;

async function created(path: string, key: string, body: unknown, method = "POST"): Promise<any> {
  const res = await api(path, { key, body, method });
  if (res.status >= 300) throw new Error(`fixture ${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

async function tenantKey(tenant: string, scopes: string[]): Promise<{ key: string; id: string }> {
  return json(await api("/keys", { body: { name: "fuzz", tenant, scopes } }), 201);
}

async function keysOf(): Promise<{ tenant: string; keys: FuzzKeys; fullKeyId: string; revocableKeyId: string }> {
  const { tenant, key, id } = await newTenant(ALL_SCOPES);
  const readOnly = await tenantKey(tenant, ["jobs:read", "reports:read"]);
  const revoked = await tenantKey(tenant, ALL_SCOPES);
  await json(await api(`/keys/${revoked.id}`, { method: "DELETE" }), 200);
  // Only this key's id goes into the pool: the fuzzer may revoke it, never the keys it sends.
  const revocable = await tenantKey(tenant, ["jobs:read"]);
  const keys = { full: key, readOnly: readOnly.key, revoked: revoked.key, platformAdmin: "test-admin-key" };
  return { tenant, keys, fullKeyId: id, revocableKeyId: revocable.id };
}

async function jobFixtures(key: string) {
  const queued = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, delayMs: 3_600_000 });
  const batch = await submit(key, { type: "batch", input: { itemType: "simulate", items: [{ steps: 1, stepMs: 0 }] } });
  const failing = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true }, maxAttempts: 1 });
  const dataset = await datasetFixture(key);
  await waitForStatus(key, failing.id, ["failed"], 30_000);
  return { jobIds: [queued.id, batch.id, failing.id, dataset.jobId], deadLetterIds: [failing.id], dataset: dataset.name };
}

async function datasetFixture(key: string) {
  const csv = await uploadFile(key, "people.csv", "text/csv", "id,name\n1,Ada\n2,Grace\n");
  const schema = { fields: [{ name: "id", type: "integer", required: true }, { name: "name", type: "string" }] };
  const job = await submit(key, { type: "bulk.import", input: { uploadId: csv.id, dataset: "fuzz_people", schema } });
  await waitForStatus(key, job.id, ["completed"], 30_000);
  return { jobId: job.id, name: "fuzz_people" };
}

async function reportFixtures(key: string) {
  const template = await created("/templates", key, { name: "fuzz", format: "markdown", body: "# {{ title }}\n{% for i in items %}- {{ i }}\n{% endfor %}" });
  const first = await created("/reports", key, { name: "fuzz-report", format: "markdown", content: "one\ntwo\n" });
  await created("/reports", key, { name: "fuzz-report", format: "markdown", content: "one\nthree\n" });
  const schedule = await created("/schedules", key, { name: "fuzz", cron: "0 0 1 1 *", enabled: false, job: { type: "simulate", input: { steps: 1, stepMs: 0 } } });
  return { templateId: template.id as string, reportId: first.report.id as string, scheduleId: schedule.id as string };
}

async function uploadFixtures(key: string) {
  const upload = await uploadFile(key, "notes.txt", "text/plain", "hello fuzz, a few words to index\n");
  const forDocument = await uploadFile(key, "doc.txt", "text/plain", "a document about edge jobs and fuzzing\n");
  const multipart = await created("/uploads/multipart", key, { name: "parts.bin" });
  const document = await created("/documents", key, { uploadId: forDocument.id, collection: "fuzz" });
  await created("/refresh/project:1", key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
  return { uploadIds: [upload.id, forDocument.id, multipart.id as string], documentId: document.id as string };
}

/** Creates one of each resource for a fresh tenant, and the keys to fuzz with. */
export async function createFixtures() {
  const { tenant, keys, fullKeyId, revocableKeyId } = await keysOf();
  const jobs = await jobFixtures(keys.full);
  const reports = await reportFixtures(keys.full);
  const uploads = await uploadFixtures(keys.full);
  const pools: IdPools = new Map([
    [poolKey("jobs", "id"), jobs.jobIds],
    [poolKey("dead-letters", "id"), jobs.deadLetterIds],
    [poolKey("keys", "id"), [revocableKeyId]],
    [poolKey("schedules", "id"), [reports.scheduleId]],
    [poolKey("templates", "id"), [reports.templateId]],
    [poolKey("reports", "id"), [reports.reportId]],
    [poolKey("reports", "n"), ["1", "2"]],
    [poolKey("uploads", "id"), uploads.uploadIds],
    [poolKey("uploads", "n"), ["1", "2"]],
    [poolKey("documents", "id"), [uploads.documentId]],
    [poolKey("datasets", "name"), [jobs.dataset]],
    [poolKey("collections", "name"), ["fuzz"]],
    [poolKey("rate-limits", "action"), ["simulate", "refresh"]],
    [poolKey("refresh", "resource"), ["project:1"]],
  ]);
  return { keys, pools, tenant, fullKeyId, queuedJobId: jobs.jobIds[0]! };
}

/** Every id the fixtures made, for body fields that name a resource (`uploadId`, `ids`, ...). */
export const allIds = (pools: IdPools) => [...new Set([...pools.values()].flat())];
