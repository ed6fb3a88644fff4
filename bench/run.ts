// `npm run bench`: measures the platform on the local runtime (wrangler dev) and prints a report.
// Numbers only; nothing here asserts a speed.
import { type DevServer, startDevServer } from "../test/e2e/dev-server.ts";
import { reportBounds } from "./bounds.ts";
import { reportCost } from "./cost.ts";
import { reportFanout } from "./fanout.ts";
import { reportPeer } from "./peer.ts";
import { reportImport } from "./imports.ts";
import { reportLists } from "./lists.ts";
import { reportReports } from "./reports.ts";
import { reportStartup } from "./startup.ts";
import { reportStatements } from "./statements.ts";

const ADMIN = "bench-admin-key";
/** Requests go out with a tenant's key, as an application's would (set in main). */
let auth: Record<string, string> = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** `clients` loops sending requests until `total` have been sent; returns each latency in ms. */
async function closedLoop(clients: number, total: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const started = performance.now();
        const res = await send(i);
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`request ${i} answered ${res.status}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

async function api(server: DevServer, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: auth,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

async function submitLatency(server: DevServer) {
  const clients = 32;
  const total = 3_200;
  const health = () => fetch(`${server.url}/api/v1/health`);
  const submit = () =>
    fetch(`${server.url}/api/v1/jobs`, {
      method: "POST",
      headers: auth,
      // Due in an hour: this measures accepting a job, not running it.
      body: JSON.stringify({ type: "simulate", input: { steps: 1, stepMs: 0 }, delayMs: 3_600_000, tags: ["latency"] }),
    });
  await closedLoop(clients, 300, health);
  await closedLoop(clients, 300, submit);
  // The routes take turns, so whatever else the runtime does meanwhile (the minutely Cron Trigger,
  // garbage collection) falls on both alike.
  const rounds = 4;
  const baseline: number[] = [];
  const submits: number[] = [];
  for (let round = 0; round < rounds; round++) {
    baseline.push(...(await closedLoop(clients, total / rounds, health)));
    submits.push(...(await closedLoop(clients, total / rounds, submit)));
  }
  return { clients, total, baseline, submits };
}

/** How often the client looks for the last completion: the rate's resolution, and a small load. */
const COMPLETION_POLL_MS = 50;

/**
 * Submits `count` jobs and times them on the client's clock: from the first request sent to the
 * poll of GET /queues (the tenant's open jobs, one cheap request) that sees none left. The jobs'
 * own timestamps (workerd's clock advances only on I/O) are kept beside it, as a cross-check.
 */
async function runToCompletion(server: DevServer, count: number, input: Record<string, unknown>, tag?: string) {
  const jobs = Array.from({ length: count }, () => ({ type: "simulate", input, ...(tag ? { tags: [tag] } : {}) }));
  const chunks = [];
  for (let i = 0; i < jobs.length; i += 1_000) chunks.push(jobs.slice(i, i + 1_000));
  const started = performance.now();
  const created = await Promise.all(chunks.map((chunk) => api(server, "/jobs/batch", { jobs: chunk })));
  const submitSeconds = (performance.now() - started) / 1000;
  for (;;) {
    const lanes = await api(server, "/queues");
    const open = lanes.items.reduce((n: number, l: { depth: number; scheduled: number; inFlight: number }) => n + l.depth + l.scheduled + l.inFlight, 0);
    if (open === 0) break;
    if (performance.now() - started > 600_000) throw new Error("jobs did not finish in 10 minutes");
    await sleep(COMPLETION_POLL_MS);
  }
  const seconds = (performance.now() - started) / 1000;
  const ids: string[] = created.flatMap((c: { items: { id: string }[] }) => c.items.map((i) => i.id));
  const sample = await Promise.all([ids[0]!, ids.at(-1)!].map((id) => api(server, `/jobs/${id}`)));
  const notDone = sample.filter((j: { status: string }) => j.status !== "completed");
  if (notDone.length > 0) throw new Error(`jobs ended ${notDone.map((j: { status: string }) => j.status).join(", ")}, not completed`);
  return { count, seconds, submitSeconds };
}

/** The naive baselines run on a dev server of their own (bench/bare), beside the platform's. */
function startBare() {
  return startDevServer({ config: "bench/bare/wrangler.toml", readyPath: "/seen?run=warmup", vars: {} });
}

/** Polls the bare worker until it has seen `n` messages: the rate on the client's clock, like the platform's. */
async function waitSeen(bare: DevServer, run: string, n: number, started: number) {
  let seen: any;
  do {
    await sleep(COMPLETION_POLL_MS);
    seen = await (await fetch(`${bare.url}/seen?run=${run}`)).json();
  } while (seen.n < n && Date.now() - started < 600_000);
  return seen.n / ((Date.now() - started) / 1000);
}

/** A bare queue consumer awaiting one D1 write per message: messages per second. */
async function bareQueueRate(bare: DevServer, n: number) {
  const started = Date.now();
  await fetch(`${bare.url}/queue?n=${n}&run=q1`, { method: "POST" });
  return waitSeen(bare, "q1", n, started);
}

/** Bare one-step Workflow instances, made all at once: instances completed per second. */
async function bareFlowRate(bare: DevServer, n: number, mode: "createBatch" | "create" | "sequential", run: string) {
  const started = Date.now();
  await fetch(`${bare.url}/workflows?n=${n}&run=${run}&mode=${mode}`, { method: "POST" });
  return waitSeen(bare, run, n, started);
}

/** `npm run bench -- throughput` runs one section; no argument runs them all. */
const only = process.argv[2];
const wanted = (section: string) => only === undefined || only === section;

/** A dev server with its own state, and requests sent with a tenant's key as an application's would. */
async function platform(vars: Record<string, string> = {}) {
  const server = await startDevServer({ vars: { ADMIN_API_KEY: ADMIN, SIGNING_SECRET: "bench-signing-secret", ...vars } });
  auth = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
  const { key } = await api(server, "/keys", { name: "bench", tenant: "bench", scopes: ["jobs:read", "jobs:write"] });
  auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  return server;
}

/** Each section runs on a fresh server, so one section's leftovers (delayed messages, rows) do not slow the next. */
async function onFreshServer(section: (server: DevServer) => Promise<void>) {
  const server = await platform();
  try {
    await section(server);
  } finally {
    await server.stop();
  }
}

async function main() {
  console.log("# Edge Jobs benchmark (local runtime: wrangler dev on this machine)\n");
  if (wanted("latency")) await onFreshServer(reportLatency);
  if (wanted("throughput")) await onFreshServer(reportThroughput);
  if (wanted("fanout")) await onFreshServer((server) => reportFanout(server, auth));
  if (wanted("cost")) await reportCostSection();
  if (wanted("bounds")) await onFreshServer((server) => reportBounds(server, ADMIN));
  if (wanted("peer")) await reportPeer(ADMIN, onFreshServer);
  if (wanted("import")) await reportImport(ADMIN);
  if (wanted("reports")) await reportReports(ADMIN);
  if (wanted("lists")) await reportLists(ADMIN);
  if (wanted("statements")) await reportStatements();
  if (wanted("startup")) await reportStartup();
}

async function reportLatency(server: DevServer) {
  const latency = await submitLatency(server);
  const [b50, b99, s50, s99] = [50, 99, 50, 99].map((p, i) => percentile(i < 2 ? latency.baseline : latency.submits, p));
  console.log(`## Submit latency, ${latency.clients} concurrent clients, ${latency.total} requests each route (in alternating rounds)`);
  console.log(`baseline GET /api/v1/health (one D1 read): p50 ${fmt(b50!)} ms  p99 ${fmt(b99!)} ms`);
  console.log(`POST /api/v1/jobs:                          p50 ${fmt(s50!)} ms  p99 ${fmt(s99!)} ms  (p99 ratio ${fmt(s99! / b99!, 2)}x)\n`);
}

async function reportThroughput(server: DevServer) {
  console.log(`## End-to-end throughput: 5000 simulate {steps:1, stepMs:0} jobs via POST /jobs/batch, three runs, on the client's clock (completion polled every ${COMPLETION_POLL_MS} ms)`);
  // One untimed run first, as the peer section does: the timed runs measure the running platform, not a cold JIT.
  const warmup = await runToCompletion(server, 5_000, { steps: 1, stepMs: 0 }, "throughput-warmup");
  console.log(`warm-up (not counted): ${fmt(warmup.count / warmup.seconds, 0)} jobs/s`);
  const rates: number[] = [];
  for (let i = 1; i <= 3; i++) {
    const run = await runToCompletion(server, 5_000, { steps: 1, stepMs: 0 }, `throughput-${i}`);
    rates.push(run.count / run.seconds);
    console.log(`run ${i}: first request sent to last completion seen ${fmt(run.seconds, 2)} s (client clock) => ${fmt(run.count / run.seconds, 0)} jobs/s (the batch requests took ${fmt(run.submitSeconds, 2)} s)`);
  }
  console.log(`median: ${fmt(percentile(rates, 50), 0)} jobs/s`);
  const bare = await startBare();
  try {
    console.log(`bare queue consumer awaiting one D1 write per message: ${fmt(await bareQueueRate(bare, 5_000), 0)} msg/s\n`);

    // Rounds take turns between the platform and the two bare baselines, so a slow spell of this
    // machine falls on all three alike.
    const flows = 300;
    const durableRates: number[] = [];
    const batchRates: number[] = [];
    const createRates: number[] = [];
    const sequentialRates: number[] = [];
    for (let round = 1; round <= 5; round++) {
      const durable = await runToCompletion(server, flows, { steps: 1, stepMs: 0, durable: true }, `durable-${round}`);
      durableRates.push(durable.count / durable.seconds);
      batchRates.push(await bareFlowRate(bare, flows, "createBatch", `wb${round}`));
      createRates.push(await bareFlowRate(bare, flows, "create", `wc${round}`));
      sequentialRates.push(await bareFlowRate(bare, flows, "sequential", `ws${round}`));
    }
    const median = (rates: number[]) => percentile(rates, 50);
    const [durableRate, batchRate, createRate, sequentialRate] = [median(durableRates), median(batchRates), median(createRates), median(sequentialRates)];
    const list = (rates: number[]) => rates.map((r) => fmt(r, 1)).join(", ");
    console.log(`## Durable jobs (Workflows): ${flows} simulate {steps:1, stepMs:0, durable:true}, five runs each`);
    console.log(`platform: ${list(durableRates)} jobs/s`);
    console.log(`bare one-step Workflow instances made with createBatch (100 per call): ${list(batchRates)}/s`);
    console.log(`bare one-step Workflow instances made with create (all in flight at once): ${list(createRates)}/s`);
    console.log(`bare one-step Workflow instances made with create (one at a time): ${list(sequentialRates)}/s`);
    const share = (rate: number) => `${fmt((100 * durableRate) / rate, 0)}%`;
    console.log(`medians: platform ${fmt(durableRate, 1)}/s = ${share(batchRate)} of createBatch (${fmt(batchRate, 1)}/s), ${share(createRate)} of create all at once (${fmt(createRate, 1)}/s), ${share(sequentialRate)} of create one at a time (${fmt(sequentialRate, 1)}/s)`);
  } finally {
    await bare.stop();
  }
  console.log("workflow steps per durable job: 1 (its one job step; the platform adds none when the first attempt succeeds)\n");
}

/** Resource use per job, from the usage lines a server started with USAGE_LOG=true writes (bench/cost.ts). */
async function reportCostSection() {
  const server = await platform({ USAGE_LOG: "true" });
  try {
    await reportCost(server, runToCompletion);
  } finally {
    await server.stop();
  }
}

await main();
