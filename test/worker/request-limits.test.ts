import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { ADMIN_KEY, api, json, newTenant } from "./helpers";

const ORIGIN = "https://jobs.test";
const MiB = 1024 * 1024;
/** Bodies up to this size are really sent in the tests below; larger limits are tested by declared length. */
const SENT_IN_FULL = 16 * MiB;

type Operation = { requestBody?: { content: Record<string, unknown> }; responses: Record<string, { description: string }> };

/** Every operation of the served OpenAPI document that takes a request body. */
async function bodyOperations() {
  const doc = await json<{ paths: Record<string, Record<string, Operation>> }>(await exports.default.fetch(`${ORIGIN}/api/v1/openapi.json`), 200);
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, op]) => op.requestBody)
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op, contentType: Object.keys(op.requestBody!.content)[0]! })),
  );
}

/** The byte limit an operation's documented 413 names. */
function documentedLimit(op: Operation): number {
  const description = op.responses["413"]?.description ?? "";
  const bytes = description.match(/(\d+) bytes/)?.[1];
  expect(bytes, `413 description: "${description}"`).toBeDefined();
  return Number(bytes);
}

/** A concrete URL for a templated path: every parameter filled with a plausible value. */
const concrete = (path: string) => `${ORIGIN}${path.replace(/\{n\}/g, "1").replace(/\{[^}]+\}/g, "x1")}`;

/**
 * `size` bytes: `json` first, then spaces (so the whole is valid JSON that any schema might
 * accept), sent in chunks with no Content-Length, so the server can only count it.
 */
function chunked(size: number, json = ""): ReadableStream<Uint8Array> {
  const head = new TextEncoder().encode(json);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === 0 && head.byteLength > 0) {
        controller.enqueue(head);
        sent = head.byteLength;
        return;
      }
      const n = Math.min(256 * 1024, size - sent);
      if (n <= 0) return controller.close();
      controller.enqueue(new Uint8Array(n).fill(0x20));
      sent += n;
    },
  });
}

/** A request declaring `length` bytes (the body never comes: the server must refuse from the header alone). */
const declared = (length: number) => ({ body: new ReadableStream({ pull: () => new Promise<void>(() => {}) }), length: String(length) });

function send(method: string, url: string, body: ReadableStream<Uint8Array>, headers: Record<string, string>) {
  return exports.default.fetch(url, { method, body, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers } });
}

describe("request body limits, from the OpenAPI document", () => {
  it("documents a 413 naming the byte limit on every operation that takes a body", async () => {
    const operations = await bodyOperations();
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const { method, path, op } of operations) {
      const limit = documentedLimit(op);
      expect(limit, `${method} ${path}`).toBeGreaterThan(0);
      expect(op.responses["413"], `${method} ${path}`).toMatchObject({ content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
    }
  });

  it("refuses a body one byte over the documented limit with 413, declared or streamed", async () => {
    for (const { method, path, op, contentType } of await bodyOperations()) {
      const limit = documentedLimit(op);
      const over = declared(limit + 1);
      const byHeader = await send(method, concrete(path), over.body, { "content-type": contentType, "content-length": over.length });
      const error = await expectError(byHeader, 413, "payload_too_large");
      expect(error.message, `${method} ${path}`).toContain(String(limit));
      if (limit > SENT_IN_FULL) continue;
      const streamed = await send(method, concrete(path), chunked(limit + 1), { "content-type": contentType });
      expect((await expectError(streamed, 413, "payload_too_large")).message, `${method} ${path}`).toContain(String(limit));
    }
  });
});

describe("request body limits while the body streams in", () => {
  const reportsKey = () => newTenant(["reports:read", "reports:write", "jobs:read", "jobs:write"]);
  const post = (path: string, key: string, body: ReadableStream<Uint8Array>, contentType = "application/json") =>
    exports.default.fetch(`${ORIGIN}/api/v1${path}`, { method: "POST", body, headers: { authorization: `Bearer ${key}`, "content-type": contentType } });

  it("POST /reports: 16 MiB + 1 of valid JSON sent chunked is 413, and no report is stored", async () => {
    const { tenant, key } = await reportsKey();
    const report = JSON.stringify({ name: "padded", format: "text", content: "hello" });
    await expectError(await post("/reports", key, chunked(SENT_IN_FULL + 1, report)), 413, "payload_too_large");
    expect((await json(await api("/reports", { key }), 200)).items).toEqual([]);
    expect((await env.BUCKET.list({ prefix: `reports/${tenant}/` })).objects).toEqual([]);
  });

  it("POST /templates and POST /schedules: a padded body past the limit is 413 and creates nothing", async () => {
    const { key } = await reportsKey();
    const template = JSON.stringify({ name: "padded", format: "text", body: "hi", variables: [] });
    await expectError(await post("/templates", key, chunked(2 * MiB + 1, template)), 413, "payload_too_large");
    expect((await json(await api("/templates", { key }), 200)).items).toEqual([]);
    const schedule = JSON.stringify({ name: "padded", intervalMs: 60_000, timezone: "UTC", job: { type: "simulate", input: { steps: 1 } } });
    await expectError(await post("/schedules", key, chunked(MiB + 1, schedule)), 413, "payload_too_large");
    expect((await json(await api("/schedules", { key }), 200)).items).toEqual([]);
  });

  it("a chunked body within the limit is read as usual", async () => {
    const { key } = await newTenant();
    const job = JSON.stringify({ type: "simulate", input: { steps: 1, stepMs: 0 }, delayMs: 3_600_000 });
    const created = await json(await post("/jobs", key, chunked(64 * 1024, job)), 202);
    expect(created).toMatchObject({ type: "simulate", status: "queued" });
  });

  it("POST /reports/import: an archive streamed past 100 MiB is 413 and leaves nothing behind", async () => {
    const { tenant, key } = await reportsKey();
    // Zero bytes hold no ZIP signature, so the importer keeps reading them: only the limit stops it.
    const zeros = (size: number) => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          const n = Math.min(MiB, size - sent);
          if (n <= 0) return controller.close();
          controller.enqueue(new Uint8Array(n));
          sent += n;
        },
      });
    };
    const error = await expectError(await post("/reports/import", key, zeros(100 * MiB + 1), "application/zip"), 413, "payload_too_large");
    expect(error.message).toContain(String(100 * MiB));
    expect((await json(await api("/reports", { key }), 200)).items).toEqual([]);
    expect((await env.BUCKET.list({ prefix: `reports/${tenant}/` })).objects).toEqual([]);
  });
});
