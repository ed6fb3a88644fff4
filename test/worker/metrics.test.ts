import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { escapeLabelValue } from "../../src/stats/exposition";
import { cleanUpJobs } from "../../src/housekeeping/jobs";
import { expectError } from "./api-helpers";
import { insertJob, tickAMinuteLater, updateJobRow } from "./engine-helpers";
import { ADMIN_KEY, api, dbOf, envOf, json, newTenant, submit, tenantBeside, waitForStatus } from "./helpers";

const DAY = 86_400_000;
const WITH_METRICS = ["jobs:read", "jobs:write", "metrics:read"];
const quick = (extra: Record<string, unknown> = {}) => ({ type: "simulate", input: { steps: 1, stepMs: 0 }, ...extra });

type Sample = { name: string; labels: Record<string, string>; value: number };
type Scrape = { help: Map<string, string>; types: Map<string, string>; samples: Sample[] };

/** A small parser of the text exposition format: HELP, TYPE and sample lines, label values unescaped. */
function parse(text: string): Scrape {
  const scrape: Scrape = { help: new Map(), types: new Map(), samples: [] };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === "HELP" ? scrape.help : scrape.types).set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    const raw = sample[3]!;
    scrape.samples.push({ name: sample[1]!, labels, value: raw === "+Inf" ? Infinity : Number(raw) });
  }
  return scrape;
}

async function scrape(key: string | null): Promise<Response> {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  return exports.default.fetch("https://jobs.test/metrics", { headers });
}

async function scraped(key: string): Promise<Scrape> {
  const res = await scrape(key);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parse(text);
}

/** The value of the one sample of `name` whose labels include `labels` (0 if none). */
function valueOf(s: Scrape, name: string, labels: Record<string, string>): number {
  const found = s.samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}


const FAMILIES = {
  edge_jobs_jobs_submitted_total: "counter",
  edge_jobs_jobs_completed_total: "counter",
  edge_jobs_jobs_failed_total: "counter",
  edge_jobs_jobs_retried_total: "counter",
  edge_jobs_job_duration_seconds: "histogram",
  edge_jobs_queue_depth: "gauge",
  edge_jobs_jobs_running: "gauge",
  edge_jobs_oldest_queued_job_age_seconds: "gauge",
  edge_jobs_dead_letters: "gauge",
};

let a: Awaited<ReturnType<typeof newTenant>>;
let b: Awaited<ReturnType<typeof newTenant>>;

beforeAll(async () => {
  a = await newTenant(WITH_METRICS);
  b = await tenantBeside(a.tenant, false, WITH_METRICS);
  const jobsOfA = await Promise.all([
    submit(a.key, quick()),
    submit(a.key, quick({ priority: "high" })),
    submit(a.key, quick({ input: { steps: 1, stepMs: 0, failUntilAttempt: 2 }, backoff: { type: "fixed", baseMs: 0 } })),
    submit(a.key, quick({ input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true } })),
  ]);
  const jobOfB = await submit(b.key, quick());
  await Promise.all([...jobsOfA.map((j) => waitForStatus(a.key, j.id, ["completed", "failed"], 30_000)), waitForStatus(b.key, jobOfB.id, ["completed", "failed"], 30_000)]);
}, 60_000);

describe("GET /metrics", () => {
  it("refuses a request without a key (401) and a key without metrics:read (403)", async () => {
    await expectError(await scrape(null), 401);
    const plain = await newTenant(["jobs:read", "jobs:write"]);
    const refused = await expectError(await scrape(plain.key), 403, "forbidden");
    expect(refused.message).toContain("metrics:read");
    const admin = await newTenant(["admin"]);
    expect((await scrape(admin.key)).status).toBe(200);
  });

  it("shows a tenant's due jobs per lane, with the oldest one's wait", async () => {
    const parked = await insertJob(a.tenant, { ...quick(), priority: "low" }, { runAt: Date.now() - 30_000, dispatchDueAt: null });
    try {
      const s = await scraped(a.key);
      expect(valueOf(s, "edge_jobs_queue_depth", { tenant: a.tenant, lane: "low" })).toBe(1);
      expect(valueOf(s, "edge_jobs_oldest_queued_job_age_seconds", { tenant: a.tenant, lane: "low" })).toBeGreaterThanOrEqual(30);
      expect(valueOf(s, "edge_jobs_queue_depth", { tenant: a.tenant, lane: "normal" })).toBe(0);
      expect(valueOf(s, "edge_jobs_jobs_running", { tenant: a.tenant, lane: "normal" })).toBe(0);
      expect(valueOf(s, "edge_jobs_dead_letters", { tenant: a.tenant })).toBe(1);
    } finally {
      await dbOf(a.tenant).prepare("DELETE FROM jobs WHERE id = ?").bind(parked.id).run();
    }
  });

  it("counts submissions, finishes, retries and run times once the clock has rolled them up", async () => {
    await tickAMinuteLater();
    const s = await scraped(a.key);
    for (const [name, type] of Object.entries(FAMILIES)) {
      expect(s.types.get(name), name).toBe(type);
      expect(s.help.get(name)?.length, name).toBeGreaterThan(0);
    }
    const ofA = { tenant: a.tenant, type: "simulate" };
    expect(valueOf(s, "edge_jobs_jobs_submitted_total", { ...ofA, lane: "normal" })).toBe(3);
    expect(valueOf(s, "edge_jobs_jobs_submitted_total", { ...ofA, lane: "high" })).toBe(1);
    expect(valueOf(s, "edge_jobs_jobs_completed_total", ofA)).toBe(3);
    expect(valueOf(s, "edge_jobs_jobs_failed_total", ofA)).toBe(1);
    expect(valueOf(s, "edge_jobs_jobs_retried_total", ofA)).toBe(1);
    const count = valueOf(s, "edge_jobs_job_duration_seconds_count", ofA);
    expect(count).toBe(4);
    const buckets = s.samples.filter((x) => x.name === "edge_jobs_job_duration_seconds_bucket" && x.labels.tenant === a.tenant);
    expect(buckets.map((x) => x.labels.le)).toEqual(["0.1", "0.5", "1", "5", "15", "60", "300", "1800", "+Inf"]);
    expect(buckets.map((x) => x.value)).toEqual([...buckets.map((x) => x.value)].sort((p, q) => p - q));
    expect(buckets.at(-1)!.value).toBe(count);
    expect(buckets.at(-2)!.value).toBe(count);
    expect(valueOf(s, "edge_jobs_job_duration_seconds_sum", ofA)).toBeGreaterThanOrEqual(0);
  });

  it("counts a job the roll-up passed while it ran when it finishes, and a replayed one each time, never twice", async () => {
    const c = await newTenant(WITH_METRICS);
    const ofC = { tenant: c.tenant, type: "simulate" };
    const running = await insertJob(c.tenant, quick(), { status: "running", attempts: 2, startedAt: Date.now() - 2_000 });
    await tickAMinuteLater();
    expect(valueOf(await scraped(c.key), "edge_jobs_jobs_completed_total", ofC) ?? 0).toBe(0);
    await updateJobRow(running.id, { status: "completed", finishedAt: Date.now() });
    let s = await scraped(c.key);
    expect(valueOf(s, "edge_jobs_jobs_completed_total", ofC)).toBe(1);
    expect(valueOf(s, "edge_jobs_jobs_retried_total", ofC)).toBe(1);
    expect(valueOf(s, "edge_jobs_job_duration_seconds_count", ofC)).toBe(1);
    expect(valueOf(s, "edge_jobs_job_duration_seconds_bucket", { ...ofC, le: "5" })).toBe(1);
    expect(valueOf(s, "edge_jobs_job_duration_seconds_bucket", { ...ofC, le: "1" })).toBe(0);
    await tickAMinuteLater();
    expect(valueOf(await scraped(c.key), "edge_jobs_jobs_completed_total", ofC)).toBe(1);
    await updateJobRow(running.id, { status: "queued", finishedAt: null });
    await updateJobRow(running.id, { status: "failed", finishedAt: Date.now() });
    s = await scraped(c.key);
    expect([valueOf(s, "edge_jobs_jobs_completed_total", ofC), valueOf(s, "edge_jobs_jobs_failed_total", ofC)]).toEqual([1, 1]);
  });

  it("shows a tenant's key its own series only, and the platform's admin key every tenant's across databases", async () => {
    const ofA = await scraped(a.key);
    expect(new Set(ofA.samples.map((x) => x.labels.tenant))).toEqual(new Set([a.tenant]));
    const ofB = await scraped(b.key);
    expect(new Set(ofB.samples.map((x) => x.labels.tenant))).toEqual(new Set([b.tenant]));
    expect(valueOf(ofB, "edge_jobs_jobs_completed_total", { tenant: b.tenant, type: "simulate" })).toBe(1);
    const all = await scraped(ADMIN_KEY);
    const tenants = new Set(all.samples.map((x) => x.labels.tenant));
    expect(tenants.has(a.tenant) && tenants.has(b.tenant)).toBe(true);
    expect(valueOf(all, "edge_jobs_jobs_completed_total", { tenant: a.tenant, type: "simulate" })).toBe(3);
    expect(valueOf(all, "edge_jobs_jobs_completed_total", { tenant: b.tenant, type: "simulate" })).toBe(1);
  });

  it("never lowers a counter when retention deletes the jobs", async () => {
    const before = (await scraped(a.key)).samples.filter((x) => x.name.endsWith("_total") || x.name.startsWith("edge_jobs_job_duration"));
    expect((await cleanUpJobs(envOf(a.tenant), { tenant: a.tenant, now: Date.now() + 31 * DAY })).jobs).toBe(4);
    const stats = await json(await api("/stats", { key: a.key }), 200);
    expect(stats.byStatus.completed ?? 0).toBe(0);
    await tickAMinuteLater();
    const after = (await scraped(a.key)).samples.filter((x) => x.name.endsWith("_total") || x.name.startsWith("edge_jobs_job_duration"));
    expect(after).toEqual(before);
  });
});

describe("the exposition format", () => {
  it("escapes backslashes, double quotes and line feeds in label values", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });
});
