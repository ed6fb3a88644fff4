// `npm run bench -- lists`: GET /api/v1/jobs latency with no filter and with each filter, as one
// tenant's jobs grow to 10k, 100k and (BENCH_LIST_MAX=1000000) 1M. Numbers only.
import { type Platform, fmt, percentile, sleep, withPlatform } from "./harness.ts";

const REQUESTS = 50;
const BATCH = 1_000;
const PARALLEL_BATCHES = 4;
const PRIORITIES = ["high", "normal", "low"] as const;

/**
 * Job `i` of the tenant: nine in ten are simulate {steps:1, stepMs:0} and complete; one in ten is
 * an http.request due in 300 days, so it stays queued (another status and another type to filter
 * by). Ten tags and three priorities spread evenly.
 */
function job(i: number) {
  const common = { tags: [`t${i % 10}`], priority: PRIORITIES[i % 3] };
  if (i % 10 === 9) return { ...common, type: "http.request", input: { url: "https://example.com/never" }, delayMs: 300 * 86_400_000 };
  return { ...common, type: "simulate", input: { steps: 1, stepMs: 0 } };
}

const FILTERS: [string, string][] = [
  ["none", ""],
  ["status=completed", "status=completed"],
  ["status=queued", "status=queued"],
  ["type=http.request", "type=http.request"],
  ["tag=t3", "tag=t3"],
  ["priority=high", "priority=high"],
  ["status+type+tag", "status=completed&type=simulate&tag=t3"],
];

/** Submits jobs [from, to) by POST /jobs/batch, PARALLEL_BATCHES requests in flight; then waits until no simulate job is open. */
async function grow(p: Platform, from: number, to: number) {
  const started = performance.now();
  let next = from;
  await Promise.all(
    Array.from({ length: PARALLEL_BATCHES }, async () => {
      while (next < to) {
        const first = next;
        next = Math.min(to, next + BATCH);
        const jobs = Array.from({ length: next - first }, (_, k) => job(first + k));
        await p.api("/jobs/batch", { jobs });
      }
    }),
  );
  const submitted = (performance.now() - started) / 1000;
  for (;;) {
    const open = await Promise.all(["queued", "running", "retrying"].map((s) => p.api(`/jobs?type=simulate&status=${s}&limit=1`)));
    if (open.every((page) => page.items.length === 0)) break;
    if (performance.now() - started > 1_800_000) throw new Error("the jobs did not finish in 30 minutes");
    await sleep(500);
  }
  return { submitted, settled: (performance.now() - started) / 1000 };
}

/** REQUESTS sequential requests of one list query after a few unmeasured ones; latencies in ms. */
async function latencies(p: Platform, query: string) {
  const once = async () => {
    const started = performance.now();
    const res = await p.call(`/jobs?${query}`);
    const page: any = await res.json();
    if (!res.ok) throw new Error(`GET /jobs?${query} answered ${res.status}: ${JSON.stringify(page)}`);
    return { ms: performance.now() - started, items: page.items.length as number };
  };
  for (let i = 0; i < 5; i++) await once();
  const samples = [];
  for (let i = 0; i < REQUESTS; i++) samples.push(await once());
  return { ms: samples.map((s) => s.ms), items: samples[0]!.items };
}

export async function reportLists(admin: string) {
  const max = Number(process.env.BENCH_LIST_MAX ?? 100_000);
  const levels = [10_000, 100_000, 1_000_000].filter((n) => n <= max);
  if (!levels.includes(max) && max > 0) levels.push(max);
  await withPlatform(admin, { QUOTA_LIVE_JOBS: "100000000" }, async (p) => {
    console.log(`## List queries: GET /api/v1/jobs (default page of 50), ${REQUESTS} sequential requests per filter, at ${levels.map((n) => n.toLocaleString("en-US")).join(", ")} jobs of one tenant (BENCH_LIST_MAX=${max})`);
    console.log("jobs: 90% simulate {steps:1, stepMs:0} (completed), 10% http.request due in 300 days (queued); tags t0-t9, priorities high/normal/low, evenly");
    let have = 0;
    for (const level of levels) {
      const grown = await grow(p, have, level);
      have = level;
      console.log(`${level.toLocaleString("en-US")} jobs: ${level - (levels[levels.indexOf(level) - 1] ?? 0)} submitted in ${fmt(grown.submitted, 1)} s, settled after ${fmt(grown.settled, 1)} s`);
      for (const [name, query] of FILTERS) {
        const r = await latencies(p, query);
        console.log(`${level.toLocaleString("en-US").padStart(9)}  ${name.padEnd(18)} p50 ${fmt(percentile(r.ms, 50)).padStart(6)} ms  p99 ${fmt(percentile(r.ms, 99)).padStart(6)} ms  (${r.items} items a page)`);
      }
    }
    console.log("");
  });
}
