import { type Server, createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "./dev-server";

let platform: DevServer;
let target: Server;
let targetUrl: string;
const hits = new Map<string, number[]>();

async function call(path: string, body?: unknown) {
  const res = await fetch(`${platform.url}/api/v1${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${E2E_ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function finished(id: string) {
  for (;;) {
    const job = await call(`/jobs/${id}`);
    if (["completed", "failed", "cancelled"].includes(job.body.status)) return job.body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  // A real HTTP service on loopback that the platform's http.request jobs call.
  target = createServer((req, res) => {
    const path = req.url ?? "/";
    const seen = [...(hits.get(path) ?? []), Date.now()];
    hits.set(path, seen);
    if (path.startsWith("/flaky") && seen.length === 1) {
      res.writeHead(503, { "retry-after": "2" }).end("busy");
    } else if (path.startsWith("/limited") && seen.length === 1) {
      res.writeHead(429).end("slow down");
    } else if (path.startsWith("/missing")) {
      res.writeHead(404).end("no such thing");
    } else {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ method: req.method, body })));
    }
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  const address = target.address();
  targetUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  platform = await startDevServer();
});

afterAll(async () => {
  await platform?.stop();
  target?.close();
});

describe("the http.request job type against a real HTTP service", () => {
  it("succeeds on 2xx and returns status, headers and body", async () => {
    const job = await call("/jobs", { type: "http.request", input: { url: `${targetUrl}/ok`, method: "POST", body: { a: 1 } } });
    const done = await finished(job.body.id);
    expect(done.status).toBe("completed");
    expect(done.result.status).toBe(200);
    expect(JSON.parse(done.result.body)).toEqual({ method: "POST", body: '{"a":1}' });
  });

  it("retries a 503 no sooner than its Retry-After, then succeeds", async () => {
    const job = await call("/jobs", {
      type: "http.request",
      input: { url: `${targetUrl}/flaky-${Date.now()}` },
      backoff: { type: "fixed", baseMs: 100 },
    });
    const done = await finished(job.body.id);
    expect(done).toMatchObject({ status: "completed", attempts: 2 });
    const [first, second] = hits.get(new URL(done.input.url).pathname)!;
    expect(second! - first!).toBeGreaterThanOrEqual(2_000);
  });

  it("retries a 429 with the job's backoff", async () => {
    const job = await call("/jobs", {
      type: "http.request",
      input: { url: `${targetUrl}/limited-${Date.now()}` },
      backoff: { type: "fixed", baseMs: 100 },
    });
    expect(await finished(job.body.id)).toMatchObject({ status: "completed", attempts: 2 });
  });

  it("fails at once on another 4xx, as a non-retryable error", async () => {
    const job = await call("/jobs", { type: "http.request", input: { url: `${targetUrl}/missing` } });
    const done = await finished(job.body.id);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError", retryable: false } });
    expect(done.error.message).toContain("404");
  });
});
