// `npm run bench -- peer`: the platform's single-step throughput beside BullMQ + Redis on this
// machine, every rate timed on the client's clock. Needs Debian's `redis-server`; skipped without it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { DevServer } from "../test/e2e/dev-server.ts";
import { bullmqRun, type Variant } from "./peer/bullmq.ts";
import { newTenant, platformRun, type Tenant } from "./peer/platform.ts";
import { type Redis, findRedisServer, startRedis } from "./peer/redis.ts";

const JOBS = 5_000;
const ROUNDS = 3;
const POLL_MS = 50;
const CONCURRENCIES = [50, 1_000];
const VARIANTS: Variant[] = ["noop", "sqlite"];

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Peer {
  label: string;
  redis: Redis;
  variant: Variant;
  concurrency: number;
  rates: number[];
}

type OnFreshServer = (section: (server: DevServer) => Promise<void>) => Promise<void>;

function peersOf(redises: Redis[]): Peer[] {
  return redises.flatMap((redis) =>
    CONCURRENCIES.flatMap((concurrency) =>
      VARIANTS.map((variant) => ({ label: `BullMQ ${variant.padEnd(6)} c${String(concurrency).padEnd(4)} redis ${redis.durability}`, redis, variant, concurrency, rates: [] })),
    ),
  );
}

let queues = 0;
async function runPeer(peer: Peer, dir: string, count: number): Promise<number> {
  const queue = `peer-${++queues}`;
  const sqliteFile = join(dir, `${queue}.sqlite`);
  const seconds = await bullmqRun({ port: peer.redis.port, queue, concurrency: peer.concurrency, variant: peer.variant, count, sqliteFile, pollMs: POLL_MS });
  rmSync(sqliteFile, { force: true });
  for (const suffix of ["-wal", "-shm"]) rmSync(sqliteFile + suffix, { force: true });
  return count / seconds;
}

function header(redises: Redis[]) {
  const bullmq = JSON.parse(readFileSync(join(process.cwd(), "node_modules", "bullmq", "package.json"), "utf8")).version;
  console.log(`## Peer: BullMQ ${bullmq} + Redis ${redises[0]!.version} beside the platform, ${JOBS} jobs, ${ROUNDS} alternating rounds, medians`);
  console.log(`Every rate is jobs / seconds on the client's clock, from the first request sent to the poll (every ${POLL_MS} ms) that saw the last completion.`);
  console.log(`platform: simulate {steps:1, stepMs:0} via POST /api/v1/jobs/batch (1,000 per request) with a tenant's key; completion seen by GET /api/v1/queues (no open job), checked with GET /stats; every state in D1.`);
  console.log(`BullMQ: Queue.addBulk (1,000 per call), one worker in its own Node ${process.version} process; completion seen by Queue.getJobCounts("completed"). "noop" returns at once; "sqlite" inserts one row per job into a local SQLite file (node:sqlite, WAL, synchronous=NORMAL).`);
  console.log(`Redis servers on loopback: ${redises.map((r) => r.durability).join("; ")}. Machine: ${cpus().length} cores.`);
}

async function rounds(tenant: Tenant, peers: Peer[], dir: string) {
  const platformRates: number[] = [];
  // Untimed warm-up of both, so neither first round pays for cold caches or JIT.
  await platformRun(tenant, 1_000, "peer-warmup", POLL_MS);
  await runPeer(peers[0]!, dir, 1_000);
  for (let round = 1; round <= ROUNDS; round++) {
    const run = await platformRun(tenant, JOBS, `peer-${round}`, POLL_MS);
    platformRates.push(JOBS / run.seconds);
    console.log(`round ${round}: platform ${fmt(run.seconds, 3)} s => ${fmt(JOBS / run.seconds)} jobs/s (batch requests answered after ${fmt(run.submitSeconds, 3)} s, ${run.polls} polls)`);
    for (const peer of peers) peer.rates.push(await runPeer(peer, dir, JOBS));
    console.log(`round ${round}: ${peers.map((p) => `${p.variant} c${p.concurrency} ${p.redis.durability.startsWith("AOF") ? "aof" : "mem"} ${fmt(p.rates.at(-1)!)}`).join(", ")} jobs/s`);
  }
  return platformRates;
}

function report(platformRates: number[], peers: Peer[]) {
  const platform = median(platformRates);
  const list = (rates: number[]) => rates.map((r) => fmt(r)).join(" / ");
  console.log(`\n${"platform single-step".padEnd(80)} ${list(platformRates).padEnd(22)} median ${fmt(platform)} jobs/s`);
  for (const peer of peers) console.log(`${peer.label.padEnd(80)} ${list(peer.rates).padEnd(22)} median ${fmt(median(peer.rates))} jobs/s`);
  console.log("");
  for (const redis of new Set(peers.map((p) => p.redis))) {
    for (const concurrency of CONCURRENCIES) {
      const rate = (variant: Variant) => median(peers.find((p) => p.redis === redis && p.concurrency === concurrency && p.variant === variant)!.rates);
      const where = `worker concurrency ${concurrency}, redis ${redis.durability}`;
      console.log(`platform / BullMQ no-op: ${fmt(platform / rate("noop"), 2)}x   platform / BullMQ sqlite: ${fmt(platform / rate("sqlite"), 2)}x   (${where})`);
    }
  }
  console.log("");
}

/** The section: skipped with a message where `redis-server` is absent; otherwise on a fresh platform server. */
export async function reportPeer(adminKey: string, onFreshServer: OnFreshServer) {
  const binary = findRedisServer();
  if (binary === null) {
    console.log("## Peer: BullMQ + Redis beside the platform\nskipped: `redis-server` is not on PATH (Debian: apt-get install redis-server)\n");
    return;
  }
  const redises: Redis[] = [];
  const dir = mkdtempSync(join(tmpdir(), "edge-jobs-peer-"));
  try {
    redises.push(await startRedis(binary, false), await startRedis(binary, true));
    header(redises);
    const peers = peersOf(redises);
    await onFreshServer(async (server) => {
      const tenant = await newTenant(server, adminKey, "peer");
      report(await rounds(tenant, peers, dir), peers);
    });
  } finally {
    await Promise.all(redises.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
