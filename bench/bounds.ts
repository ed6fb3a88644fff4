// `npm run bench -- bounds`: the work a tenant controls (PDF layout, diffs, Liquid) grows linearly
// or stops at a named limit, and GET /health keeps answering meanwhile. Numbers only.
import type { DevServer } from "../test/e2e/dev-server.ts";

const KiB = 1024;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

interface Client {
  call(path: string, body?: unknown): Promise<Response>;
  health(): Promise<number>;
}

function clientOf(server: DevServer, key: string): Client {
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  return {
    call: (path, body) =>
      fetch(`${server.url}/api/v1${path}`, { method: body === undefined ? "GET" : "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) }),
    async health() {
      const started = performance.now();
      const res = await fetch(`${server.url}/api/v1/health`);
      await res.arrayBuffer();
      return performance.now() - started;
    },
  };
}

async function ok(res: Response, status = 201): Promise<any> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Runs `work` while GET /health is sent over and over, one at a time; the work's time and status, and /health's latencies. */
async function whileProbing(client: Client, work: () => Promise<Response>) {
  let running = true;
  const latencies: number[] = [];
  const probe = (async () => {
    while (running) latencies.push(await client.health());
  })();
  const started = performance.now();
  const res = await work();
  const body = await res.text();
  const ms = performance.now() - started;
  running = false;
  await probe;
  const code = res.ok ? "" : ` ${JSON.parse(body).error.code}`;
  return `${fmt(ms, 0).padStart(6)} ms  -> ${res.status}${code.padEnd(16)} /health during it: p50 ${fmt(percentile(latencies, 50))} ms, max ${fmt(Math.max(...latencies))} ms (${latencies.length} GETs)`;
}

const word = (length: number) => Array.from({ length }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join("");

async function template(client: Client, format: string, body: string, variables: string[] = []) {
  const declared = variables.map((name) => ({ name, type: "string" }));
  return ok(await client.call("/templates", { name: `bench-${crypto.randomUUID()}`, format, body, variables: declared }));
}

async function pdfLayout(client: Client) {
  console.log("PDF preview of a single-word body (one word, no spaces):");
  for (const size of [64, 128, 256]) {
    const tpl = await template(client, "pdf", word(size * KiB));
    console.log(`  ${String(size).padStart(3)} KiB  ${await whileProbing(client, () => client.call(`/templates/${tpl.id}/preview`, { variables: {} }))}`);
  }
}

async function storedPair(client: Client, name: string, lines: number, changed: number) {
  const text = (edit: boolean) => Array.from({ length: lines }, (_, i) => (edit && i < changed ? `changed line ${i}` : `line ${i}`)).join("\n");
  const first = await ok(await client.call("/reports", { name, format: "text", content: text(false) }));
  await ok(await client.call("/reports", { name, format: "text", content: text(true) }));
  return first.report.id as string;
}

async function diffs(client: Client) {
  console.log("Diff of two versions, every line changed (refused past 500 lines added or removed):");
  for (const lines of [2_000, 4_000, 8_000]) {
    const id = await storedPair(client, `bench-diff-${lines}`, lines, lines);
    console.log(`  ${String(lines).padStart(5)} changed  ${await whileProbing(client, () => client.call(`/reports/${id}/diff?from=1&to=2`))}`);
  }
  console.log("Diff of two versions, 200 changed lines among many (within the bounds):");
  for (const lines of [12_500, 25_000, 50_000]) {
    const id = await storedPair(client, `bench-diff-within-${lines}`, lines, 200);
    console.log(`  ${String(lines).padStart(5)} lines  ${await whileProbing(client, () => client.call(`/reports/${id}/diff?from=1&to=2`))}`);
  }
}

async function liquid(client: Client) {
  console.log("Liquid previews of finding 4, to the refusal:");
  const cases: [string, string, Record<string, string>][] = [
    ["nested 4000 x 4000 loop", "{% for i in (1..4000) %}{% for j in (1..4000) %}x{% endfor %}{% endfor %}", {}],
    ["(1..30000000) with break", "{% for i in (1..30000000) %}{{ i }}{% break %}{% endfor %}", {}],
    ["100 MB of output", "{% for i in (1..100000) %}{{ chunk }}{% endfor %}", { chunk: "y".repeat(1_000) }],
  ];
  for (const [what, body, variables] of cases) {
    const tpl = await template(client, "text", body, Object.keys(variables));
    console.log(`  ${what.padEnd(26)} ${await whileProbing(client, () => client.call(`/templates/${tpl.id}/preview`, { variables }))}`);
  }
}

export async function reportBounds(server: DevServer, adminKey: string) {
  const admin = clientOf(server, adminKey);
  const { key } = await ok(await admin.call("/keys", { name: "bench-bounds", tenant: "bench-bounds", scopes: ["reports:read", "reports:write"] }));
  const client = clientOf(server, key);
  const idle: number[] = [];
  for (let i = 0; i < 200; i++) idle.push(await client.health());
  console.log("## Bounded work: PDF layout, diffs and Liquid, with GET /health latency while each runs");
  console.log(`idle GET /health: p50 ${fmt(percentile(idle, 50))} ms, max ${fmt(Math.max(...idle))} ms`);
  await pdfLayout(client);
  await diffs(client);
  await liquid(client);
  console.log("");
}
