import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { type IncomingMessage, type Server, createServer } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "./dev-server";

let platform: DevServer;
let listener: Server;
let listenerUrl: string;
/** The authorization header of every request the listener got, by path. */
const received = new Map<string, string | undefined>();

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${platform.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${E2E_ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function finished(id: string) {
  for (;;) {
    const job = await call("GET", `/jobs/${id}`);
    if (["completed", "failed", "cancelled"].includes(job.body.status)) return job.body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every file of the dev server's persisted state (D1, Durable Objects, Workflows, Queues). */
function stateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? stateFiles(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : [],
  );
}

/** The state files that hold `text`, as bytes in UTF-8. */
const filesHolding = (text: string) => stateFiles(platform.state).filter((file) => readFileSync(file).includes(Buffer.from(text)));

beforeAll(async () => {
  // A real HTTP service on loopback, let through by OUTBOUND_ALLOW_HOSTS as a tenant's staging
  // service would be: it answers with the authorization header it got.
  listener = createServer((req: IncomingMessage, res) => {
    received.set(req.url ?? "/", req.headers.authorization);
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ authorization: req.headers.authorization })));
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const address = listener.address();
  const port = typeof address === "object" && address ? address.port : 0;
  listenerUrl = `http://127.0.0.1:${port}`;
  platform = await startDevServer({
    vars: {
      ADMIN_API_KEY: E2E_ADMIN_KEY,
      SIGNING_SECRET: "e2e-signing-secret",
      SECRETS_KEY: "e2e-secrets-key",
      OUTBOUND_ALLOW_HOSTS: `127.0.0.1:${port}`,
      // The listener is named by address: there is no name to resolve.
      OUTBOUND_DNS_RESOLVER: "",
    },
  });
});

afterAll(async () => {
  await platform?.stop();
  listener?.close();
});

describe("secrets against a real HTTP service", () => {
  it("a job's {$secret} header reaches the service with the value; nothing stored holds the value", async () => {
    const value = `Bearer e2e-${randomUUID()}`;
    expect((await call("PUT", "/secrets/service-token", { value })).status).toBe(201);

    const direct = await call("POST", "/jobs", { type: "http.request", input: { url: `${listenerUrl}/direct`, headers: { authorization: { $secret: "service-token" } } } });
    expect(direct.status, JSON.stringify(direct.body)).toBe(202);
    const items = [1, 2].map((i) => ({ url: `${listenerUrl}/item-${i}`, headers: { authorization: { $secret: "service-token" } } }));
    const batch = await call("POST", "/jobs", { type: "batch", input: { itemType: "http.request", items } });
    expect(batch.status, JSON.stringify(batch.body)).toBe(202);

    // In the queue consumer ...
    const done = await finished(direct.body.id);
    expect(received.get("/direct")).toBe(value);
    expect(done).toMatchObject({ status: "completed", input: { headers: { authorization: { $secret: "service-token" } } } });
    expect(JSON.parse(done.result.body)).toEqual({ authorization: "[secret:service-token]" });
    // ... and in a Workflow (the batch's items).
    expect(await finished(batch.body.id)).toMatchObject({ status: "completed", result: { total: 2, succeeded: 2, failed: 0 } });
    expect([received.get("/item-1"), received.get("/item-2")]).toEqual([value, value]);
    const page = await call("GET", `/jobs/${batch.body.id}/items`);
    for (const item of page.body.items) {
      expect(item.input.headers).toEqual({ authorization: { $secret: "service-token" } });
      expect(JSON.parse(item.result.body)).toEqual({ authorization: "[secret:service-token]" });
    }

    expect(JSON.stringify([await call("GET", "/secrets"), await call("GET", "/jobs"), page])).not.toContain(value);
    expect(filesHolding(value)).toEqual([]);
  });

  it("an inline authorization header is sent as given and shown as [redacted]", async () => {
    const inline = `Bearer inline-${randomUUID()}`;
    const job = await call("POST", "/jobs", { type: "http.request", input: { url: `${listenerUrl}/inline`, headers: { Authorization: inline } } });
    expect(job.status).toBe(202);
    const done = await finished(job.body.id);
    expect(received.get("/inline")).toBe(inline);
    expect(done).toMatchObject({ status: "completed", input: { headers: { Authorization: "[redacted]" } } });
    // An inline value is stored as given (the job runs with it): the scan above would have found a secret's.
    expect(filesHolding(inline).length).toBeGreaterThan(0);
  });
});
