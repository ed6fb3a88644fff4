import { introspectWorkflowInstance } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PART_BYTES } from "../../src/files/transform";
import { cleanUpJobs } from "../../src/housekeeping/jobs";
import { workflowInstanceId } from "../../src/workflows/instance";
import { attemptsOf, deliver, insertJob, logsOf } from "./engine-helpers";
import { api, env, envOf, json, newTenant, submit, uploadFile, waitForStatus } from "./helpers";

async function transform(key: string, input: Record<string, unknown>): Promise<any> {
  const job = await submit(key, { type: "file.transform", input });
  return waitForStatus(key, job.id, ["completed", "failed"], 60_000);
}

async function download(key: string, url: string): Promise<string> {
  const res = await api(url.replace("/api/v1", ""), { key });
  expect(res.status).toBe(200);
  return res.text();
}

async function sha256(text: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const ROWS = 3_000;
const BROKEN_AT = 1_500;

/** The generated orders file: every 10th price is not a number, every 5th city is empty, and one row is too short. */
function ordersCsv() {
  const lines = ["id,first,last,price,qty,city,extra"];
  for (let i = 1; i <= ROWS; i++) {
    if (i === BROKEN_AT) lines.push("1500,too,short");
    else lines.push(`${i},F${i},"L, ${i}",${i % 10 === 0 ? "abc" : (i % 4) + 0.25},${i % 3},${i % 5 === 0 ? "" : `City ${i % 7}`},x`);
  }
  return `${lines.join("\n")}\n`;
}

const MAPPING = {
  fields: [
    { name: "id", type: "integer", required: true },
    { name: "name", expr: "row.first | append: ' ' | append: row.last" },
    { name: "price", type: "number" },
    { name: "total", expr: "row.price | times: row.qty", type: "number" },
    { name: "town", from: "city", default: "Unknown" },
    { name: "row", expr: "rowNumber", type: "integer" },
  ],
};

/** What the mapping makes of row i (null: a bad row), computed here as the mapping says. */
function expected(i: number) {
  if (i === BROKEN_AT || i % 10 === 0) return null;
  const price = (i % 4) + 0.25;
  return { id: i, name: `F${i} L, ${i}`, price, total: price * (i % 3), town: i % 5 === 0 ? "Unknown" : `City ${i % 7}`, row: i };
}

describe("file.transform", () => {
  it("maps a CSV file into NDJSON across checkpointed chunks, bad rows into the error report", async () => {
    const { key } = await newTenant();
    const csv = ordersCsv();
    const file = await uploadFile(key, "orders.csv", "text/csv", csv);
    const done = await transform(key, { uploadId: file.id, mapping: MAPPING, output: { format: "ndjson" }, chunkBytes: 64 * 1024 });
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    const good = Array.from({ length: ROWS }, (_, i) => expected(i + 1)).filter((r) => r !== null);
    const output = good.map((r) => `${JSON.stringify(r)}\n`).join("");
    expect(done.result).toMatchObject({ name: "orders-transformed.ndjson", format: "ndjson", rows: ROWS, written: good.length, rejected: ROWS - good.length, size: output.length, sha256: await sha256(output) });
    expect(done.progress.percent).toBe(100);
    expect((await logsOf(key, done.id)).at(-1)).toBe(`wrote ${good.length} rows to orders-transformed.ndjson; rejected ${ROWS - good.length}`);
    expect(await download(key, done.result.url)).toBe(output);

    const upload = await json(await api(`/uploads/${done.result.uploadId}`, { key }), 200);
    expect(upload).toMatchObject({ status: "stored", name: "orders-transformed.ndjson", contentType: "application/x-ndjson", size: output.length });

    const bad = Array.from({ length: ROWS }, (_, i) => i + 1).filter((i) => expected(i) === null);
    const report = [
      "row,field,message",
      ...bad.map((i) => (i === BROKEN_AT ? `${i},,row has 3 columns; the header has 7` : `${i},price,"Invalid input: expected number, received NaN"`)),
      "",
    ].join("\n");
    expect(done.result.errorReport).toEqual({ uploadId: `${done.result.uploadId}-errors`, url: `/api/v1/uploads/${done.result.uploadId}-errors/content`, errors: bad.length });
    expect(await download(key, done.result.errorReport.url)).toBe(report);
  });

  it("writes CSV and JSON too, from NDJSON and JSON, with casts, defaults and computed values", async () => {
    const { key } = await newTenant();
    const records = [
      { sku: "a-1", price: "2.50", tags: ["x", "y"], note: 'says "hi", twice' },
      { sku: "b-2", price: 4, tags: [], note: null },
      { sku: "c-3", price: 1e3, extra: true },
    ];
    const mapping = {
      fields: [
        { name: "code", from: "sku" },
        { name: "price", type: "number" },
        { name: "tagCount", expr: "row.tags | size", type: "integer" },
        { name: "note", default: "none" },
        { name: "label", expr: "row.sku | upcase | prepend: '#'" },
      ],
    };
    const nd = await uploadFile(key, "items.ndjson", "application/x-ndjson", records.map((r) => JSON.stringify(r)).join("\n"));
    const toCsv = await transform(key, { uploadId: nd.id, mapping, output: { format: "csv", name: "items.csv" } });
    expect(toCsv.status, JSON.stringify(toCsv.error)).toBe("completed");
    expect(await download(key, toCsv.result.url)).toBe(['code,price,tagCount,note,label', 'a-1,2.5,2,"says ""hi"", twice",#A-1', "b-2,4,0,none,#B-2", "c-3,1000,0,none,#C-3", ""].join("\n"));
    expect(toCsv.result).toMatchObject({ name: "items.csv", rows: 3, written: 3, rejected: 0, errorReport: null });

    const js = await uploadFile(key, "items.json", "application/json", JSON.stringify(records));
    const toJson = await transform(key, { uploadId: js.id, mapping });
    expect(toJson.result).toMatchObject({ name: "items-transformed.json", format: "json" });
    expect(JSON.parse(await download(key, toJson.result.url))).toEqual([
      { code: "a-1", price: 2.5, tagCount: 2, note: 'says "hi", twice', label: "#A-1" },
      { code: "b-2", price: 4, tagCount: 0, note: "none", label: "#B-2" },
      { code: "c-3", price: 1000, tagCount: 0, note: "none", label: "#C-3" },
    ]);
    const none = await transform(key, { uploadId: js.id, mapping: { fields: [{ name: "sku", type: "integer" }] }, output: { format: "json" } });
    expect(none.result).toMatchObject({ written: 0, rejected: 3 });
    expect(await download(key, none.result.url)).toBe("[]\n");
  });

  it("writes an output of several parts, and resumes after a crash at the first unfinished chunk", async () => {
    const { key, tenant } = await newTenant();
    const count = 80_000;
    const word = "w".repeat(60);
    const csv = `id,word\n${Array.from({ length: count }, (_, i) => `${i + 1},${word}${i % 10}`).join("\n")}\n`;
    const file = await uploadFile(key, "words.csv", "text/csv", csv);
    const chunkBytes = 1024 * 1024;
    const input = { uploadId: file.id, mapping: { fields: [{ name: "id", type: "integer" }, { name: "loud", expr: "row.word | upcase" }] }, output: { format: "ndjson" }, chunkBytes };
    const job = await insertJob(tenant, { type: "file.transform", input });
    const secondChunk = csv.lastIndexOf("\n", chunkBytes - 1) + 1;
    const instance = await introspectWorkflowInstance(env.DURABLE_JOB, workflowInstanceId(job.id, 0));
    try {
      await instance.modify(async (m) => {
        await m.mockStepError({ name: `rows from byte ${secondChunk}` }, new Error("the isolate went away"), 1);
        await m.disableRetryDelays();
      });
      await deliver([{ ids: [job.id] }]);
      await instance.waitForStatus("complete");
    } finally {
      await instance.dispose();
    }
    const done = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    const output = Array.from({ length: count }, (_, i) => `${JSON.stringify({ id: i + 1, loud: `${word}${i % 10}`.toUpperCase() })}\n`).join("");
    expect(output.length).toBeGreaterThan(PART_BYTES);
    expect(done.result).toMatchObject({ rows: count, written: count, rejected: 0, size: output.length, sha256: await sha256(output) });
    expect(await download(key, (done.result as any).url)).toBe(output);
    expect(await attemptsOf(key, job.id)).toHaveLength(1);
    const chunks = (await logsOf(key, job.id)).filter((l) => l.startsWith("rows"));
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    expect(new Set(chunks).size).toBe(chunks.length);
    expect(chunks[1]).toMatch(new RegExp(`^rows \\d+-\\d+ from bytes ${secondChunk}-`));
  });

  it("goes with its job: housekeeping removes the output and the error report once the job expires", async () => {
    const { key, tenant } = await newTenant();
    const file = await uploadFile(key, "few.csv", "text/csv", "id\n1\nx\n");
    const done = await transform(key, { uploadId: file.id, mapping: { fields: [{ name: "id", type: "integer" }] } });
    const produced = [done.result.uploadId, done.result.errorReport.uploadId];
    for (const id of produced) expect((await api(`/uploads/${id}`, { key })).status).toBe(200);
    await cleanUpJobs(envOf(tenant), { tenant, now: Date.now() + 31 * 86_400_000 });
    for (const id of produced) expect((await api(`/uploads/${id}`, { key })).status).toBe(404);
    expect((await env.BUCKET.list({ prefix: `uploads/${tenant}/` })).objects.map((o) => o.key)).toEqual([`uploads/${tenant}/${file.id}`]);
  });

  it("with onError abort, stops at the first bad row, fails and leaves no output", async () => {
    const { key } = await newTenant();
    const file = await uploadFile(key, "abort.csv", "text/csv", "id,n\n1,1\n2,two\n3,3\n");
    const done = await transform(key, { uploadId: file.id, mapping: { fields: [{ name: "n", type: "integer" }] }, onError: "abort" });
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError", message: "row 2, n: Invalid input: expected number, received NaN (onError is abort; nothing was written)" } });
    expect((await api(`/uploads/upl_${done.id.slice(4)}`, { key })).status).toBe(404);

    const typo = await transform(key, { uploadId: file.id, mapping: { fields: ["id", { name: "total", from: "amount" }] } });
    expect(typo.error.message).toBe("the mapping reads columns that abort.csv does not have: amount (its header: id, n)");
  });

  it("refuses an unknown upload, a bad mapping and bad Liquid at submit", async () => {
    const { key } = await newTenant();
    const file = await uploadFile(key, "ok.csv", "text/csv", "a,b\n1,2\n");
    const refused = (input: Record<string, unknown>) => api("/jobs", { key, body: { type: "file.transform", input: { uploadId: file.id, ...input } } });
    const missing = await json(await api("/jobs", { key, body: { type: "file.transform", input: { uploadId: "upl_NOPE", mapping: { fields: ["a"] } } } }), 422);
    expect(missing).toEqual({
      error: { code: "invalid_job", message: "the job was not accepted", details: [{ path: "input.uploadId", message: "upload upl_NOPE not found" }], requestId: expect.any(String) },
    });
    const cases: [Record<string, unknown>, string, string][] = [
      [{ fields: [{ name: "a", from: "a", expr: "row.a" }] }, "input.mapping.fields.0.expr", "give from or expr, not both"],
      [{ fields: ["a", { name: "a", from: "b" }] }, "input.mapping.fields", "an output field is named twice"],
      [{ fields: [{ name: "x", expr: "row.a | nope" }] }, "input.mapping.fields.0.expr", "the Liquid expression does not parse: undefined filter: nope"],
      [{ fields: [{ name: "x", expr: "row.a row.b" }] }, "input.mapping.fields.0.expr", `the Liquid expression does not parse: "row.a row.b" is not one expression (an operand or an operator is missing)`],
      [{ fields: [{ name: "x", expr: "row.a | times 2" }] }, "input.mapping.fields.0.expr", 'the Liquid expression does not parse: expected ":" after filter name'],
      [{ fields: [{ name: "x", type: "integer", default: "many" }] }, "input.mapping.fields.0.default", "the default is not of type integer: Invalid input: expected number, received NaN"],
      [{ fields: [] }, "input.mapping.fields", "Too small: expected array to have >=1 items"],
    ];
    for (const [mapping, path, message] of cases) {
      const body = await json(await refused({ mapping }), 422);
      expect(body.error.details, JSON.stringify(mapping)).toContainEqual(expect.objectContaining({ path, message }));
    }
    const unknownType = await json(await refused({ mapping: { fields: [{ name: "x", type: "money" }] } }), 422);
    expect(unknownType.error.details).toEqual([
      { path: "input.mapping.fields.0", message: 'type: Invalid option: expected one of "string"|"number"|"integer"|"boolean"|"date"|"email"' },
    ]);
  });
});
