// `npm run bench -- lists`: GET /api/v1/jobs latency with no filter and with each filter, and the
// aggregate views (GET /stats, GET /queues, for the tenant and for the platform's admin key), as
// one tenant's jobs grow to 10k, 100k and (BENCH_LIST_MAX=1000000) 1M. Numbers only.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DevServer, startDevServer } from "../test/e2e/dev-server.ts";
import { fmt, percentile } from "./harness.ts";
import { databaseHolding, seedJobs } from "./seed-jobs.ts";

const REQUESTS = 50;
/** Before the clock's first roll-up the aggregate views count everything: fewer requests there. */
const REQUESTS_BEFORE_ROLLUP = 10;
const PRIORITIES = ["high", "normal", "low"] as const;
/** Jobs submitted through the API after the tick: the views then also count jobs the roll-up has not taken. */
const FRESH_JOBS = 5_000;
const DAY_MS = 86_400_000;

/**
 * Job `i` of the tenant: nine in ten are simulate {steps:1, stepMs:0}, completed; one in ten is an
 * http.request due in 300 days, so it stays queued (another status and another type to filter
 * by). Ten tags and three priorities spread evenly.
 */
const job = (i: number) => ({
  type: i % 10 === 9 ? "http.request" : "simulate",
  priority: PRIORITIES[i % 3]!,
  tag: `t${i % 10}`,
  queued: i % 10 === 9,
});

const FILTERS: [string, string][] = [
  ["none", ""],
  ["status=completed", "status=completed"],
  ["status=queued", "status=queued"],
  ["type=http.request", "type=http.request"],
  ["tag=t3", "tag=t3"],
  ["priority=high", "priority=high"],
  ["status+type+tag", "status=completed&type=simulate&tag=t3"],
];

type Client = (path: string, body?: unknown) => Promise<{ res: Response; body: any }>;

function client(server: DevServer, key: string): Client {
  return async (path, body) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return { res, body: text ? JSON.parse(text) : null };
  };
}

/** `requests` sequential requests of one path after a few unmeasured ones; latencies in ms and the last body. */
async function latencies(call: Client, path: string, requests = REQUESTS) {
  const once = async () => {
    const started = performance.now();
    const { body } = await call(path);
    return { ms: performance.now() - started, body };
  };
  for (let i = 0; i < Math.min(5, requests); i++) await once();
  const samples = [];
  for (let i = 0; i < requests; i++) samples.push(await once());
  return { ms: samples.map((s) => s.ms), body: samples.at(-1)!.body };
}

const line = (level: number, name: string, ms: number[], note: string) =>
  `${level.toLocaleString("en-US").padStart(9)}  ${name.padEnd(30)} p50 ${fmt(percentile(ms, 50)).padStart(7)} ms  p99 ${fmt(percentile(ms, 99)).padStart(7)} ms  (${note})`;

/** The aggregate views, for the tenant and for the platform's admin key. */
async function aggregates(level: number, tenant: Client, admin: Client, when: string, requests: number) {
  for (const [who, call] of [["tenant", tenant], ["platform", admin]] as const) {
    const stats = await latencies(call, "/stats", requests);
    console.log(line(level, `/stats ${who} ${when}`, stats.ms, `total ${stats.body.total}, queued ${stats.body.byStatus.queued ?? 0}`));
    const queues = await latencies(call, "/queues", requests);
    const scheduled = queues.body.items.reduce((n: number, l: { scheduled: number }) => n + l.scheduled, 0);
    console.log(line(level, `/queues ${who} ${when}`, queues.ms, `scheduled ${scheduled}`));
  }
}

/** A fresh dev server's state with a tenant key, `level` jobs of it seeded into its D1. */
async function seededState(admin: string, level: number, vars: Record<string, string>) {
  const state = mkdtempSync(join(tmpdir(), "edge-jobs-lists-"));
  const server = await startDevServer({ state, vars });
  let key: string;
  let marker: string;
  try {
    const call = client(server, admin);
    key = (await call("/keys", { name: "bench", tenant: "bench", scopes: ["jobs:read", "jobs:write"] })).body.key;
    // One job through the API finds the database that holds the tenant's jobs; it is job 9 of the pattern.
    marker = (await client(server, key)("/jobs", { type: "http.request", input: { url: "https://example.com/never" }, priority: "high", tags: ["t9"], delayMs: 300 * DAY_MS })).body.id;
  } finally {
    await server.stop();
  }
  const started = performance.now();
  // History over the last 20 days up to two minutes ago, so the clock's roll-up can take all of it.
  seedJobs(databaseHolding(state, marker), { tenant: "bench", count: level - 1, job: (i) => job(i < 9 ? i : i + 1), spanDays: 20, endsBeforeMs: 120_000 });
  return { state, key, seconds: (performance.now() - started) / 1000 };
}

/** Submits FRESH_JOBS single-step jobs in batches of 1,000 and waits until none of them is open. */
async function addFreshJobs(call: Client) {
  for (let sent = 0; sent < FRESH_JOBS; sent += 1_000) {
    const jobs = Array.from({ length: 1_000 }, (_, k) => ({ type: "simulate", input: { steps: 1, stepMs: 0 }, priority: PRIORITIES[k % 3], tags: [`t${k % 10}`] }));
    await call("/jobs/batch", { jobs });
  }
  const deadline = Date.now() + 300_000;
  for (;;) {
    const open = await Promise.all(["queued", "running", "retrying"].map((s) => call(`/jobs?type=simulate&status=${s}&limit=1`)));
    if (open.every((page) => page.body.items.length === 0)) return;
    if (Date.now() > deadline) throw new Error("the fresh jobs did not finish in 5 minutes");
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function measureLevel(admin: string, level: number) {
  const vars = { ADMIN_API_KEY: admin, SIGNING_SECRET: "bench-signing-secret", QUOTA_LIVE_JOBS: "100000000" };
  const { state, key, seconds } = await seededState(admin, level, vars);
  const server = await startDevServer({ state, vars });
  try {
    const [tenant, platform] = [client(server, key), client(server, admin)];
    console.log(`${level.toLocaleString("en-US")} jobs: seeded into D1 in ${fmt(seconds, 1)} s`);
    await aggregates(level, tenant, platform, "before tick", REQUESTS_BEFORE_ROLLUP);
    // The clock's tick (the Cron Trigger's handler, as wrangler dev runs it on request).
    const started = performance.now();
    const tick = await fetch(`${server.url}/cdn-cgi/local/scheduled`);
    if (!tick.ok) throw new Error(`the scheduled handler answered ${tick.status}: ${await tick.text()}`);
    console.log(`${level.toLocaleString("en-US").padStart(9)}  first tick (roll-up of the history): ${fmt(performance.now() - started, 0)} ms`);
    await aggregates(level, tenant, platform, "after tick", REQUESTS);
    for (const [name, query] of FILTERS) {
      const r = await latencies(tenant, `/jobs?${query}`);
      console.log(line(level, `list ${name}`, r.ms, `${r.body.items.length} items a page`));
    }
    await addFreshJobs(tenant);
    await aggregates(level, tenant, platform, `+${FRESH_JOBS / 1000}k new`, REQUESTS);
  } finally {
    await server.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

export async function reportLists(admin: string) {
  const max = Number(process.env.BENCH_LIST_MAX ?? 100_000);
  const levels = [10_000, 100_000, 1_000_000].filter((n) => n <= max);
  if (!levels.includes(max) && max > 0) levels.push(max);
  console.log(`## Lists and aggregate views at ${levels.map((n) => n.toLocaleString("en-US")).join(", ")} jobs of one tenant (BENCH_LIST_MAX=${max})`);
  console.log("jobs: 90% simulate {steps:1, stepMs:0} (completed), 10% http.request due in 300 days (queued); tags t0-t9, priorities high/normal/low, evenly;");
  console.log(`created over the last 20 days, written straight into D1; each view ${REQUESTS} sequential requests (${REQUESTS_BEFORE_ROLLUP} before the first tick);`);
  console.log(`"+${FRESH_JOBS / 1000}k new": after ${FRESH_JOBS.toLocaleString("en-US")} more jobs went through the API and completed, too recent for the roll-up`);
  for (const level of levels) await measureLevel(admin, level);
  console.log("");
}
