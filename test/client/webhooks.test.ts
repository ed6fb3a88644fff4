// Webhook deliveries to a live local receiver, against a real `wrangler dev`: every delivery's
// signature is checked with the client's `verifySignature`; a receiver that answers 500 is retried,
// and once it keeps failing the webhook is paused.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgeJobs, SIGNATURE_HEADER, verifySignature } from "edge-jobs/client";
import { type DevServer, E2E_ADMIN_KEY, freePort, startDevServer } from "../e2e/dev-server";

interface Received {
  path: string;
  event: string;
  verified: boolean;
  raw: string;
  signature: string;
  body: { id: string; event: string; webhookId: string; data: { job?: { id: string; status: string; result: unknown } } };
}

let platform: DevServer;
let receiver: Server;
let receiverUrl: string;
let key: string;
const received: Received[] = [];
const secrets = new Map<string, string>();

async function receive(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const body = JSON.parse(raw) as Received["body"];
  const signature = String(req.headers[SIGNATURE_HEADER.toLowerCase()]);
  const verified = await verifySignature(raw, signature, secrets.get(body.webhookId) ?? "");
  received.push({ path: req.url ?? "", event: String(req.headers["edge-jobs-event"]), verified, raw, signature, body });
  res.writeHead(req.url === "/down" ? 500 : verified ? 204 : 401).end();
}

async function call(path: string, body?: unknown, method = body === undefined ? "GET" : "POST") {
  const res = await fetch(`${platform.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
}

async function subscribe(path: string, body: Record<string, unknown>) {
  const created = await call("/webhooks", { url: `${receiverUrl}${path}`, ...body });
  expect(created.status).toBe(201);
  secrets.set(created.body.webhook.id, created.body.secret);
  return created.body.webhook.id as string;
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const port = await freePort();
  receiver = createServer((req, res) => void receive(req, res));
  await new Promise<void>((resolve) => receiver.listen(port, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${port}`;
  platform = await startDevServer({ vars: { ADMIN_API_KEY: E2E_ADMIN_KEY, SIGNING_SECRET: "e2e-signing-secret", OUTBOUND_ALLOW_HOSTS: `127.0.0.1:${port}` } });
  const admin = new EdgeJobs({ baseUrl: platform.url, apiKey: E2E_ADMIN_KEY });
  ({ key } = await admin.keys.create({ name: "webhooks", tenant: `hooks-${Date.now().toString(36)}`, scopes: ["jobs:read", "jobs:write", "admin"] }));
});

afterAll(async () => {
  await platform?.stop();
  receiver?.close();
});

describe("webhook deliveries to a live receiver", () => {
  it("delivers signed job events and records each delivery's status code and timing", async () => {
    const id = await subscribe("/ok", { events: ["job.completed", "job.failed"] });
    const done = await call("/jobs", { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const failed = await call("/jobs", { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 5, nonRetryable: true } });
    await until(async () => received.filter((r) => r.body.webhookId === id), (r) => r.length === 2);
    const mine = received.filter((r) => r.body.webhookId === id);
    expect(mine.every((r) => r.verified)).toBe(true);
    expect(mine.map((r) => [r.event, r.body.data.job!.id, r.body.data.job!.status]).sort()).toEqual(
      [["job.completed", done.body.id, "completed"], ["job.failed", failed.body.id, "failed"]].sort(),
    );
    const deliveries = await until(() => call(`/webhooks/${id}/deliveries`), (d) => d.body.items.every((x: any) => x.status === "delivered"));
    expect(deliveries.body.items).toHaveLength(2);
    for (const d of deliveries.body.items) expect(d).toMatchObject({ attempts: 1, responseStatus: 204, error: null, durationMs: expect.any(Number) });
    // A tampered body does not verify with the webhook's secret.
    const sample = mine[0]!;
    expect(await verifySignature(sample.raw, sample.signature, secrets.get(id)!)).toBe(true);
    expect(await verifySignature(sample.raw.replace(sample.body.event, "job.cancelled"), sample.signature, secrets.get(id)!)).toBe(false);
  });

  it("sends a ping, and redelivers a delivery as a new one", async () => {
    const id = await subscribe("/ok", { events: ["job.cancelled"] });
    const ping = await call(`/webhooks/${id}/ping`, {});
    expect(ping.status).toBe(202);
    await until(async () => received.find((r) => r.body.id === ping.body.id), Boolean);
    expect(received.find((r) => r.body.id === ping.body.id)).toMatchObject({ event: "ping", verified: true });
    const again = await call(`/webhooks/${id}/deliveries/${ping.body.id}/redeliver`, {});
    expect(again.status).toBe(202);
    await until(async () => received.find((r) => r.body.id === again.body.id), Boolean);
  });

  it("retries a receiver that answers 500, then pauses the webhook with the reason", async () => {
    const id = await subscribe("/down", { events: ["job.completed"], retry: { maxAttempts: 2, backoff: { type: "fixed", baseMs: 1_000, jitter: false } }, pauseAfterFailures: 1 });
    await call("/jobs", { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const webhook = await until(() => call(`/webhooks/${id}`), (w) => w.body.status === "paused");
    expect(webhook.body.pausedReason).toContain("answered 500");
    expect(received.filter((r) => r.body.webhookId === id)).toHaveLength(2);
    const [delivery] = (await call(`/webhooks/${id}/deliveries`)).body.items;
    expect(delivery).toMatchObject({ status: "failed", attempts: 2, responseStatus: 500 });
  });
});
