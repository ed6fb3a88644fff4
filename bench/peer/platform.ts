// The platform's side of the peer section: single-step jobs submitted in batches with a tenant's key
// and their completion observed through the platform's own API, timed on the client's clock.
import type { DevServer } from "../../test/e2e/dev-server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Tenant {
  server: DevServer;
  headers: Record<string, string>;
  /** Jobs of this tenant completed so far, to check each run's jobs all completed. */
  completed: number;
}

async function call(tenant: Tenant | { server: DevServer; headers: Record<string, string> }, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${tenant.server.url}/api/v1${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: tenant.headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** A tenant of its own on `server`, with a key made by the platform's admin key. */
export async function newTenant(server: DevServer, adminKey: string, name: string): Promise<Tenant> {
  const admin = { server, headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" } };
  const { key } = await call(admin, "/keys", { name, tenant: name, scopes: ["jobs:read", "jobs:write"] });
  return { server, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, completed: 0 };
}

/** Jobs of the tenant not finished yet (queued or retrying, due now or later, or running), from GET /queues. */
async function openJobs(tenant: Tenant): Promise<number> {
  const lanes: { items: { depth: number; scheduled: number; inFlight: number }[] } = await call(tenant, "/queues");
  return lanes.items.reduce((n, lane) => n + lane.depth + lane.scheduled + lane.inFlight, 0);
}

/**
 * Submits `count` simulate {steps:1, stepMs:0} jobs via POST /jobs/batch (1,000 per request, all in
 * flight at once), then polls GET /queues every `pollMs` until none is open. Seconds from the first
 * request sent to the poll that saw none open; checks afterwards (untimed) that all completed.
 */
export async function platformRun(tenant: Tenant, count: number, tag: string, pollMs: number) {
  const chunks: unknown[][] = [];
  for (let i = 0; i < count; i += 1_000) {
    chunks.push(Array.from({ length: Math.min(1_000, count - i) }, () => ({ type: "simulate", input: { steps: 1, stepMs: 0 }, tags: [tag] })));
  }
  const started = performance.now();
  await Promise.all(chunks.map((jobs) => call(tenant, "/jobs/batch", { jobs })));
  const submitSeconds = (performance.now() - started) / 1000;
  let polls = 0;
  for (;;) {
    polls += 1;
    if ((await openJobs(tenant)) === 0) break;
    if (performance.now() - started > 300_000) throw new Error("platform jobs did not finish in 5 minutes");
    await sleep(pollMs);
  }
  const seconds = (performance.now() - started) / 1000;
  const stats = await call(tenant, "/stats");
  tenant.completed += count;
  if (stats.byStatus.completed !== tenant.completed) {
    throw new Error(`expected ${tenant.completed} completed jobs, /stats counts ${JSON.stringify(stats.byStatus)}`);
  }
  return { seconds, submitSeconds, polls };
}
