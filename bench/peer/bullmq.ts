// The client side of a BullMQ run: a worker process started (untimed), then jobs added in bulk and
// their completion observed by polling the queue's counts, all timed on this process's clock.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { Queue } from "bullmq";

export type Variant = "noop" | "sqlite";

export interface BullRun {
  port: number;
  queue: string;
  concurrency: number;
  variant: Variant;
  count: number;
  /** The SQLite file the "sqlite" variant inserts into. */
  sqliteFile: string;
  pollMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts bench/peer/worker.ts on this Node and resolves once it says it is connected. */
async function startWorker(run: BullRun): Promise<ChildProcess> {
  const script = join(import.meta.dirname, "worker.ts");
  const args = [script, String(run.port), run.queue, String(run.concurrency), run.variant, run.sqliteFile];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d) => (log += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`BullMQ worker not ready in 20 s:\n${log}`)), 20_000);
    child.stdout?.on("data", (d) => {
      log += d;
      if (log.includes("ready\n")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`BullMQ worker exited (${code}):\n${log}`));
    });
  });
  return child;
}

async function stopWorker(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Adds `count` jobs in bulks of 1,000 (all in flight at once) and polls until all completed. */
async function addAndWait(queue: Queue, run: BullRun): Promise<number> {
  const bulks: { name: string; data: { i: number } }[][] = [];
  for (let i = 0; i < run.count; i += 1_000) {
    bulks.push(Array.from({ length: Math.min(1_000, run.count - i) }, (_, j) => ({ name: run.variant, data: { i: i + j } })));
  }
  const started = performance.now();
  await Promise.all(bulks.map((bulk) => queue.addBulk(bulk)));
  for (;;) {
    const counts = await queue.getJobCounts("completed", "failed");
    if ((counts.failed ?? 0) > 0) throw new Error(`${counts.failed} BullMQ jobs failed`);
    if ((counts.completed ?? 0) >= run.count) return (performance.now() - started) / 1000;
    if (performance.now() - started > 300_000) throw new Error("BullMQ jobs did not finish in 5 minutes");
    await sleep(run.pollMs);
  }
}

/** One timed run on a fresh queue: seconds from the first add sent to the last completion observed. */
export async function bullmqRun(run: BullRun): Promise<number> {
  const worker = await startWorker(run);
  const queue = new Queue(run.queue, { connection: { host: "127.0.0.1", port: run.port } });
  try {
    await queue.waitUntilReady();
    return await addAndWait(queue, run);
  } finally {
    await stopWorker(worker);
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
