// The cost section: what a completed job uses of each billed Cloudflare resource, from the usage
// lines a server started with USAGE_LOG=true writes (untimed), and its price at list prices.
import type { DevServer } from "../test/e2e/dev-server.ts";
import { PRICES } from "../src/usage/prices.ts";
import { fmt, sleep } from "./harness.ts";

/** A line of src/usage/invocation.ts: what an invocation used, and what its usage-ledger write cost. */
interface UsageLine {
  event: string;
  path?: string;
  messages?: number;
  usage: Record<string, number>;
  ledger?: { d1Queries: number; d1RowsRead: number; d1RowsWritten: number };
}

export type RunToCompletion = (server: DevServer, count: number, input: Record<string, unknown>) => Promise<unknown>;

/** Cloudflare's list prices, USD per million units: the platform's own list (src/usage/prices.ts, with its sources). */
const PRICE_PER_MILLION = PRICES.perMillion;

/** The batch submits' request lines (the bench polls with other requests, which a job does not need). */
const SUBMITS = "api_write";

export function usageSince(server: DevServer, offset: number): UsageLine[] {
  return server
    .output()
    .slice(offset)
    .split("\n")
    .flatMap((line) => {
      const start = line.indexOf('{"event":');
      if (start < 0) return [];
      try {
        const parsed = JSON.parse(line.slice(start)) as UsageLine;
        if (parsed.event !== "api_request") return [parsed];
        return parsed.path === "/api/v1/jobs/batch" ? [{ ...parsed, event: SUBMITS }] : [];
      } catch {
        return [];
      }
    });
}

/** The usage lines' `key`, the usage ledger's own write included (each line's usage leaves it out). */
const sum = (lines: UsageLine[], event: string, key: string) =>
  lines
    .filter((l) => l.event === event)
    .reduce((n, l) => n + (l.usage[key] ?? 0) + ((l.ledger as Record<string, number> | undefined)?.[key] ?? 0), 0);

/** What the usage ledger's own writes cost per job, over every kind of line. */
const ledgerPerJob = (lines: UsageLine[], count: number, key: "d1Queries" | "d1RowsWritten") =>
  lines.reduce((n, l) => n + (l.ledger?.[key] ?? 0), 0) / count;

/** Runs `count` jobs of `input` and answers their usage lines. */
async function measured(server: DevServer, run: RunToCompletion, count: number, input: Record<string, unknown>) {
  const offset = server.output().length;
  await run(server, count, input);
  await sleep(1_000);
  return usageSince(server, offset);
}

function printSingleStep(lines: UsageLine[], count: number) {
  console.log(`## Cost per completed single-step job (${count} untagged jobs via POST /jobs/batch; ${lines.length} usage lines)`);
  const per = (event: string, key: string) => sum(lines, event, key) / count;
  for (const key of ["d1Queries", "d1RowsRead", "d1RowsWritten", "queueMessagesSent", "durableObjectCalls", "workflowsCreated"]) {
    const [submit, run] = [per(SUBMITS, key), per("consumer_batch", key)];
    console.log(`${key.padEnd(20)} ${fmt(submit + run, 3)}  (submit ${fmt(submit, 3)}, run ${fmt(run, 3)})`);
  }
  const deliveries = lines.filter((l) => l.event === "consumer_batch").reduce((n, l) => n + (l.messages ?? 0), 0) / count;
  const invocations = lines.filter((l) => l.event === "consumer_batch").length / count;
  console.log(`queue deliveries     ${fmt(deliveries, 3)}; consumer invocations ${fmt(invocations, 4)}; workflow steps 0 (single-step jobs run in the queue consumer)`);
  console.log(`of which the usage ledger (src/usage/): ${fmt(ledgerPerJob(lines, count, "d1RowsWritten"), 4)} rows written and ${fmt(ledgerPerJob(lines, count, "d1Queries"), 4)} queries per job (one upsert per invocation)`);
  console.log("each tag a job carries adds one row written (job_tags is WITHOUT ROWID, no other index)");
  const written = per(SUBMITS, "d1RowsWritten") + per("consumer_batch", "d1RowsWritten");
  const read = per(SUBMITS, "d1RowsRead") + per("consumer_batch", "d1RowsRead");
  const queueOps = per(SUBMITS, "queueOperations") + per("consumer_batch", "queueOperations");
  printPrice({ written, read, queueOps, invocations, batchRequests: 1 / 1_000 });
}

/** Price per million jobs, by resource; a job submitted alone (POST /jobs) pays a request and a message of its own. */
function printPrice(use: { written: number; read: number; queueOps: number; invocations: number; batchRequests: number }) {
  const p = PRICE_PER_MILLION;
  const d1 = use.written * p.d1RowWritten + use.read * p.d1RowRead;
  const rows: [string, number, number][] = [
    ["D1 rows written", use.written, use.written * p.d1RowWritten],
    ["D1 rows read", use.read, use.read * p.d1RowRead],
    ["Queues operations", use.queueOps, use.queueOps * p.queueOperation],
    ["Workers requests (batch submit + consumer)", use.batchRequests + use.invocations, (use.batchRequests + use.invocations) * p.workerRequest],
    ["Durable Object requests (nobody watching)", 0, 0],
    ["Workflow invocations / steps", 0, 0],
  ];
  console.log("price per million completed single-step jobs at list prices (USD; CPU time not included):");
  for (const [what, perJob, usd] of rows) console.log(`  ${what.padEnd(44)} ${fmt(perJob, 4).padStart(8)} per job  $${fmt(usd, 3)}`);
  const batched = rows.reduce((n, r) => n + r[2], 0);
  const alone = d1 + 3 * p.queueOperation + (1 + use.invocations) * p.workerRequest;
  console.log(`  total, submitted in batches of 1,000: $${fmt(batched, 2)} per million jobs; submitted one by one (a request and a message each): $${fmt(alone, 2)}`);
}

function printDurable(lines: UsageLine[], count: number, steps: number) {
  const written = (sum(lines, SUBMITS, "d1RowsWritten") + sum(lines, "consumer_batch", "d1RowsWritten") + sum(lines, "workflow_run", "d1RowsWritten")) / count;
  const invocations = lines.filter((l) => l.event === "workflow_run").length / count;
  const objectCalls = (sum(lines, "consumer_batch", "durableObjectCalls") + sum(lines, "workflow_run", "durableObjectCalls")) / count;
  const stepsRun = sum(lines, "workflow_run", "workflowSteps") / count;
  console.log(`durable simulate {steps:${steps}} (${steps} steps, ${steps} progress updates): ${fmt(written, 1)} D1 rows written per job (the usage ledger's ${fmt(ledgerPerJob(lines, count, "d1RowsWritten"), 1)} included), ${fmt(invocations, 1)} Workflow invocations, ${fmt(stepsRun, 1)} steps run, ${fmt(objectCalls, 1)} Durable Object calls`);
}

export async function reportCost(server: DevServer, run: RunToCompletion) {
  const count = 2_000;
  printSingleStep(await measured(server, run, count, { steps: 1, stepMs: 0 }), count);
  console.log("D1 rows written by durable jobs (each step a checkpoint row; progress reaches D1 with the step's own write):");
  for (const steps of [1, 5, 20]) {
    const jobs = 20;
    printDurable(await measured(server, run, jobs, { steps, stepMs: 0, durable: true }), jobs, steps);
  }
  console.log("");
}
