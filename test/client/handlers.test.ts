// Job handlers in the application's own service, against a real `wrangler dev`: a local HTTP
// service (allowed by OUTBOUND_ALLOW_HOSTS, as an operator would allow a staging service) serves
// the registered types, verifies every call with the client's `verifySignature`, and answers at
// once, or 202 and then calls back.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgeJobs, type JobEvent, SIGNATURE_HEADER, verifySignature } from "edge-jobs/client";
import { type DevServer, E2E_ADMIN_KEY, freePort, startDevServer } from "../e2e/dev-server";

interface Call {
  path: string;
  body: string;
  signature: string;
  parsed: { job: { id: string; type: string; attempt: number; input: Record<string, unknown> }; callbacks: Record<"progress" | "complete" | "fail", string> };
}

let platform: DevServer;
let service: Server;
let serviceUrl: string;
let ej: EdgeJobs;
const calls: Call[] = [];
/** Each handler type's secret, as its service keeps it (a wrong one for the bad-signature test). */
const secrets = new Map<string, string>();
const later: Promise<unknown>[] = [];

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What each handler does with a verified call. */
const behaviours: Record<string, (call: Call, res: ServerResponse) => void> = {
  "/sync": ({ parsed }, res) => reply(res, 200, { echo: parsed.job.input, attempt: parsed.job.attempt }),
  "/flaky": ({ parsed }, res) => (parsed.job.attempt < 3 ? reply(res, 503, { error: { message: `busy (attempt ${parsed.job.attempt})` } }) : reply(res, 200, { attempts: parsed.job.attempt })),
  "/async": ({ parsed }, res) => {
    reply(res, 202, {});
    later.push((async () => {
      await pause(300);
      await post(parsed.callbacks.progress, { percent: 50, stage: "halfway", message: "half of it", logs: [{ level: "info", message: "working" }] });
      await pause(300);
      await post(parsed.callbacks.complete, { result: { done: parsed.job.input.n } });
    })());
  },
  "/give-up": ({ parsed }, res) => {
    reply(res, 202, {});
    later.push(post(parsed.callbacks.fail, { error: { message: "the invoice is gone", name: "InvoiceMissing" }, retryable: false }));
  },
  "/hold": (_, res) => reply(res, 202, {}),
};

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function serve(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  const signature = String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? "");
  const call: Call = { path: req.url ?? "", body, signature, parsed: JSON.parse(body) };
  calls.push(call);
  // As a real handler does: refuse a call whose signature does not check out with its secret.
  if (!(await verifySignature(body, signature, secrets.get(call.parsed.job.type) ?? ""))) return reply(res, 401, { error: "bad signature" });
  behaviours[call.path]!(call, res);
}

async function register(type: string, path: string, options: Record<string, unknown> = {}) {
  const { secret, handler } = await ej.handlers.create({ type, url: `${serviceUrl}${path}`, ...options });
  secrets.set(type, secret);
  return handler;
}

async function finished(id: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await ej.jobs.get(id);
    if (["completed", "failed", "cancelled"].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`);
    await pause(100);
  }
}

beforeAll(async () => {
  const port = await freePort();
  service = createServer((req, res) => void serve(req, res).catch((err) => reply(res, 500, { error: String(err) })));
  await new Promise<void>((resolve) => service.listen(port, "127.0.0.1", resolve));
  serviceUrl = `http://127.0.0.1:${port}`;
  platform = await startDevServer({
    vars: { ADMIN_API_KEY: E2E_ADMIN_KEY, SIGNING_SECRET: "e2e-signing-secret", OUTBOUND_ALLOW_HOSTS: `127.0.0.1:${port}` },
  });
  const admin = new EdgeJobs({ baseUrl: platform.url, apiKey: E2E_ADMIN_KEY });
  const { key } = await admin.keys.create({ name: "handlers", tenant: `handlers-${Date.now().toString(36)}`, scopes: ["jobs:read", "jobs:write", "admin"] });
  ej = new EdgeJobs({ baseUrl: platform.url, apiKey: key });
});

afterAll(async () => {
  await Promise.allSettled(later);
  await platform?.stop();
  service?.close();
});

describe("job handlers in the application's own service", () => {
  it("calls a handler that answers at once, signed; its answer is the result", async () => {
    await register("e2e.sync", "/sync", { inputSchema: { type: "object", required: ["n"], properties: { n: { type: "integer" } } } });
    const job = await ej.jobs.submit("e2e.sync", { n: 7 });
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { echo: { n: 7 }, attempt: 1 } });
    const call = calls.find((c) => c.parsed.job.id === job.id)!;
    expect(call.parsed.job).toMatchObject({ type: "e2e.sync", attempt: 1, input: { n: 7 } });
    expect(call.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifySignature(call.body, call.signature, secrets.get("e2e.sync")!)).toBe(true);
    expect(await verifySignature(call.body.replace('"n":7', '"n":8'), call.signature, secrets.get("e2e.sync")!)).toBe(false);
    await expect(ej.jobs.submit("e2e.sync", { n: "seven" })).rejects.toMatchObject({ status: 422, code: "invalid_job" });
  });

  it("a handler that answers 202 reports progress live and completes through its callbacks", async () => {
    await register("e2e.async", "/async", { timeoutMs: 600_000 });
    const job = await ej.jobs.submit("e2e.async", { n: 3 });
    const events: JobEvent[] = [];
    for await (const event of ej.jobs.watch(job.id)) events.push(event);
    const progress = events.filter((e) => e.type === "progress");
    expect(progress).toContainEqual(expect.objectContaining({ percent: 50, stage: "halfway", message: "half of it" }));
    expect(events.at(-1)).toMatchObject({ type: "status", status: "completed" });
    expect(await ej.jobs.get(job.id)).toMatchObject({ status: "completed", attempts: 1, result: { done: 3 } });
    const logs = await ej.jobs.logs(job.id);
    expect(JSON.stringify(logs)).toContain("working");
    // The attempt is over: its callbacks are told so, and change nothing.
    const call = calls.find((c) => c.parsed.job.id === job.id)!;
    const late = await post(call.parsed.callbacks.complete, { result: "again" });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("attempt_over");
    expect((await ej.jobs.get(job.id)).result).toEqual({ done: 3 });
  });

  it("retries a handler that fails twice with the backoff, then completes", async () => {
    await register("e2e.flaky", "/flaky", { retry: { maxAttempts: 3, backoff: { type: "fixed", baseMs: 200, jitter: false } } });
    const job = await ej.jobs.submit("e2e.flaky", {});
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: "completed", attempts: 3, result: { attempts: 3 } });
    const { items: attempts } = await ej.jobs.attempts(job.id);
    expect(attempts.slice(0, 2).map((a) => [a.outcome, a.error?.message])).toEqual([
      ["failed", "the handler answered 503: busy (attempt 1)"],
      ["failed", "the handler answered 503: busy (attempt 2)"],
    ]);
  });

  it("a call whose signature the handler cannot verify fails the job without retrying it", async () => {
    await register("e2e.strict", "/sync", { retry: { maxAttempts: 3 } });
    secrets.set("e2e.strict", "whsec_not-the-one-registered");
    const job = await ej.jobs.submit("e2e.strict", {});
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { retryable: false, message: "the handler answered 401: bad signature" } });
    const call = calls.find((c) => c.parsed.job.id === job.id)!;
    expect(await verifySignature(call.body, call.signature, "whsec_not-the-one-registered")).toBe(false);
  });

  it("a handler's fail callback with retryable false fails the job into the dead letters", async () => {
    await register("e2e.give-up", "/give-up");
    const job = await ej.jobs.submit("e2e.give-up", {});
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { name: "InvoiceMissing", message: "the invoice is gone", retryable: false } });
    const letters = [];
    for await (const letter of ej.deadLetters.list()) letters.push(letter);
    expect(JSON.stringify(letters)).toContain(job.id);
  });

  it("cancelling a job whose handler holds the attempt tells the handler at its next callback", async () => {
    await register("e2e.hold", "/hold", { timeoutMs: 600_000 });
    const job = await ej.jobs.submit("e2e.hold", {});
    for (let i = 0; i < 100 && !calls.some((c) => c.parsed.job.id === job.id); i++) await pause(100);
    const call = calls.find((c) => c.parsed.job.id === job.id)!;
    expect((await post(call.parsed.callbacks.progress, { percent: 10 })).status).toBe(200);
    expect((await ej.jobs.get(job.id)).progress).toMatchObject({ percent: 10 });
    await ej.jobs.cancel(job.id);
    const refused = await post(call.parsed.callbacks.progress, { percent: 20 });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: { code: "attempt_over", details: { status: "cancelled" } } });
    expect((await ej.jobs.get(job.id)).status).toBe("cancelled");
  });
});
