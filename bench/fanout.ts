// The fan-out section: publish-to-receipt latency of progress events to 1,000 websocket
// subscribers of one job, beside the floor, a bare Durable Object broadcasting messages of the same
// shape and size to as many hibernatable websockets (bench/bare/broadcast.ts). Both are measured by
// the same client code, in alternating rounds, on dev servers running side by side. Numbers only.
import { type DevServer, startDevServer } from "../test/e2e/dev-server.ts";
import { fmt, percentile, sleep } from "./harness.ts";

const SUBSCRIBERS = 1_000;
const PUBLISHES = 20;
const EVERY_MS = 300;
const ROUNDS = Number(process.env.FANOUT_ROUNDS ?? 3);
/** A job's delay: long enough for every subscriber to connect (each snapshot shows it queued). */
const START_DELAY_MS = 30_000;
/** Before the bare publisher starts, as the platform's subscribers wait out the job's delay. */
const BARE_QUIET_MS = 10_000;

interface Round {
  latencies: number[];
  /** Latencies by the message's seq: which publishes were slow. */
  bySeq: Map<number, number[]>;
  /** Subscribers whose snapshot showed the job not yet started: they see all its progress. */
  snapshotsBeforeStart: number;
  finals: number;
  /** Per socket, from receiving the final status to seeing the server close it. */
  closeLags: number[];
  /** Sockets that closed before the final status (a restarted server drops them). */
  dropped: number;
  connectMs: number;
  sockets: WebSocket[];
}

/**
 * Opens `count` websockets at `url` and records, for every progress message, the client's receipt
 * time minus the `at` its publisher stamped as it issued the publish. Both servers run on this
 * machine, on the client's clock.
 */
async function subscribe(url: string, headers: Record<string, string>, count: number): Promise<Round> {
  const round: Round = { latencies: [], bySeq: new Map(), snapshotsBeforeStart: 0, finals: 0, closeLags: [], dropped: 0, connectMs: 0, sockets: [] };
  const started = performance.now();
  round.sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const ws = new WebSocket(url, { headers } as any);
      let finalAt: number | undefined;
      ws.onmessage = (e) => {
        const received = Date.now();
        const message = JSON.parse(String(e.data));
        if (message.type === "progress") {
          const latency = received - Date.parse(message.at);
          round.latencies.push(latency);
          if (!round.bySeq.has(message.seq)) round.bySeq.set(message.seq, []);
          round.bySeq.get(message.seq)!.push(latency);
        } else if (message.type === "snapshot" && message.job.status === "queued") round.snapshotsBeforeStart += 1;
        else if (message.type === "status" && message.status === "completed") (round.finals += 1), (finalAt = performance.now());
      };
      ws.onclose = () => (finalAt === undefined ? (round.dropped += 1) : round.closeLags.push(performance.now() - finalAt));
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error(`websocket to ${url} failed to open`));
      });
      return ws;
    }),
  );
  round.connectMs = performance.now() - started;
  return round;
}

/** Waits until the server closed every socket (or a minute passed). */
async function ended(round: Round, count: number) {
  const deadline = Date.now() + 60_000;
  while (round.closeLags.length + round.dropped < count && Date.now() < deadline) await sleep(50);
}

/** A round whose sockets were dropped (wrangler dev restarts the worker when a source file changes) is run again, once. */
async function complete(name: string, run: () => Promise<Round>): Promise<Round> {
  const round = await run();
  if (round.dropped === 0 && round.finals === SUBSCRIBERS) return round;
  console.log(`${name}: ${describe(round)}; running it again`);
  round.sockets.forEach((ws) => ws.close());
  return run();
}

/** One job of PUBLISHES steps EVERY_MS apart, due once every subscriber is connected. */
async function platformRound(server: DevServer, auth: Record<string, string>): Promise<Round> {
  const res = await fetch(`${server.url}/api/v1/jobs`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ type: "simulate", input: { steps: PUBLISHES, stepMs: EVERY_MS }, delayMs: START_DELAY_MS, priority: "critical" }),
  });
  if (!res.ok) throw new Error(`POST /jobs answered ${res.status}: ${await res.text()}`);
  const job: any = await res.json();
  const round = await subscribe(`${server.url.replace("http", "ws")}/api/v1/jobs/${job.id}/events`, { authorization: auth.authorization! }, SUBSCRIBERS);
  await ended(round, SUBSCRIBERS);
  return round;
}

/** The bare publisher sends as many messages as often, then a final status, and the object closes the sockets. */
async function bareRound(bare: DevServer, name: string): Promise<Round> {
  const round = await subscribe(`${bare.url.replace("http", "ws")}/watch?room=${name}`, {}, SUBSCRIBERS);
  await sleep(BARE_QUIET_MS);
  const res = await fetch(`${bare.url}/publish?room=${name}&count=${PUBLISHES}&everyMs=${EVERY_MS}`, { method: "POST" });
  if (!res.ok) throw new Error(`the bare publisher answered ${res.status}`);
  await ended(round, SUBSCRIBERS);
  return round;
}

const stats = (latencies: number[]) => ({ p50: percentile(latencies, 50), p99: percentile(latencies, 99) });

function describe(r: Round): string {
  const { p50, p99 } = stats(r.latencies);
  const lag = r.closeLags.length ? `closed ${fmt(percentile(r.closeLags, 99), 0)} ms after the final status (p99)` : "none closed";
  const before = r.snapshotsBeforeStart ? `, ${r.snapshotsBeforeStart} snapshots before the job started` : "";
  const dropped = r.dropped ? `, ${r.dropped} DROPPED before the final status` : "";
  return `p50 ${fmt(p50)} ms  p99 ${fmt(p99)} ms  (${r.latencies.length} deliveries, ${r.finals} final statuses, ${r.closeLags.length} ${lag}; connected in ${fmt(r.connectMs / 1000)} s${before}${dropped})`;
}

/** With FANOUT_DETAIL=1: per publish, the fastest, median and slowest receipt. */
function detail(r: Round) {
  if (!process.env.FANOUT_DETAIL) return;
  for (const [seq, l] of [...r.bySeq].sort(([a], [b]) => a - b)) {
    console.log(`  seq ${seq}: min ${Math.min(...l)}  p50 ${percentile(l, 50)}  max ${Math.max(...l)} ms`);
  }
}

export async function reportFanout(server: DevServer, auth: Record<string, string>) {
  const bare = await startDevServer({ config: "bench/bare/broadcast.toml", readyPath: "/ready", vars: {} });
  try {
    console.log(`## Progress fan-out: ${SUBSCRIBERS} websocket subscribers of one job, ${PUBLISHES} progress events ${EVERY_MS} ms apart, ${ROUNDS} alternating rounds`);
    const [platform, floor]: [Round[], Round[]] = [[], []];
    // Rounds take turns, so a slow spell of this machine falls on both alike.
    for (let i = 1; i <= ROUNDS; i++) {
      platform.push(await complete(`platform round ${i}`, () => platformRound(server, auth)));
      console.log(`platform round ${i}: ${describe(platform.at(-1)!)}`);
      detail(platform.at(-1)!);
      floor.push(await complete(`bare DO round ${i}`, () => bareRound(bare, `round-${i}`)));
      console.log(`bare DO round ${i}:  ${describe(floor.at(-1)!)}`);
      detail(floor.at(-1)!);
    }
    const [p, b] = [stats(platform.flatMap((r) => r.latencies)), stats(floor.flatMap((r) => r.latencies))];
    console.log(`platform, publish to receipt, all rounds:           p50 ${fmt(p.p50)} ms  p99 ${fmt(p.p99)} ms`);
    console.log(`bare Durable Object broadcast (floor), all rounds:  p50 ${fmt(b.p50)} ms  p99 ${fmt(b.p99)} ms`);
    console.log(`p99 ratio platform / bare: ${fmt(p.p99 / b.p99, 2)}x (p50 ratio ${fmt(p.p50 / b.p50, 2)}x)\n`);
  } finally {
    await bare.stop();
  }
}
