import { introspectWorkflowInstance } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { workflowInstanceId } from "../../src/workflows/instance";
import { attemptsOf, deliver, insertJob, logsOf } from "./engine-helpers";
import { api, env, json, newTenant, uploadFile, submit, waitForStatus } from "./helpers";

async function runImport(key: string, input: Record<string, unknown>): Promise<any> {
  const job = await submit(key, { type: "bulk.import", input });
  try {
    return await waitForStatus(key, job.id, ["completed", "failed"], 30_000);
  } catch (err) {
    console.log("DEBUG", JSON.stringify(await json(await api(`/jobs/${job.id}`, { key }))), (await logsOf(key, job.id)).slice(-5));
    throw err;
  }
}

async function allRows(key: string, dataset: string) {
  const rows: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await json(await api(`/datasets/${dataset}/rows?limit=1000${cursor ? `&cursor=${cursor}` : ""}`, { key }), 200);
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

const peopleSchema = {
  fields: [
    { name: "id", type: "integer", required: true },
    { name: "name", type: "string", required: true },
    { name: "email", type: "email" },
    { name: "active", type: "boolean" },
  ],
};

/** `count` CSV rows whose names contain commas, quotes and line breaks, so records straddle chunk edges. */
function peopleCsv(count: number, first = 1) {
  const lines = ["id,name,email,active"];
  for (let i = first; i < first + count; i++) {
    const name = i % 7 === 0 ? `"Person ${i}, ""the ${i}th""\nsecond line"` : `Person ${i}`;
    lines.push(`${i},${name},p${i}@example.com,${i % 2 === 0 ? "true" : "false"}`);
  }
  return lines.join("\n") + "\n";
}

describe("bulk.import", () => {
  it("imports valid rows, collects bad ones into an error report, and pages through the dataset", async () => {
    const { key } = await newTenant();
    const csv = [
      "id,name,email,active",
      "1,Ada,ada@example.com,yes",
      "x,Bad id,b@example.com,true",
      "3,,c@example.com,true",
      "4,Dee,not-an-email,false",
      "5,Eve,eve@example.com",
      "6,Fay,fay@example.com,0",
    ].join("\n");
    const file = await uploadFile(key, "people.csv", "text/csv", csv);
    const done = await runImport(key, { uploadId: file.id, dataset: "people", schema: peopleSchema });
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.result).toMatchObject({ dataset: "people", rows: 6, imported: 2, rejected: 4 });
    expect(done.progress.percent).toBe(100);

    const rows = await allRows(key, "people");
    expect(rows.map((r) => r.data)).toEqual([
      { id: 1, name: "Ada", email: "ada@example.com", active: true },
      { id: 6, name: "Fay", email: "fay@example.com", active: false },
    ]);
    expect(rows.map((r) => r.sourceRow)).toEqual([1, 6]);

    const report = await (await api(done.result.errorReport.url.replace("/api/v1", ""), { key })).text();
    expect(report).toBe(
      [
        "row,field,message",
        '2,id,"Invalid input: expected number, received NaN"',
        '3,name,"Invalid input: expected string, received undefined"',
        "4,email,Invalid email address",
        "5,,row has 3 columns; the header has 4",
        "",
      ].join("\n"),
    );
    const dataset = await json(await api("/datasets/people", { key }), 200);
    expect(dataset).toMatchObject({ name: "people", rows: 2, schema: { fields: expect.any(Array) } });
  });

  it("reads a file in small checkpointed chunks with records across their edges, CSV and NDJSON alike", async () => {
    const { key } = await newTenant();
    const count = 8_000;
    const csv = peopleCsv(count);
    expect(csv.length).toBeGreaterThan(4 * 64 * 1024);
    const file = await uploadFile(key, "many.csv", "text/csv", csv);
    const done = await runImport(key, { uploadId: file.id, dataset: "many", schema: peopleSchema, chunkBytes: 64 * 1024 });
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.result).toMatchObject({ rows: count, imported: count, rejected: 0, errorReport: null });
    const rows = await allRows(key, "many");
    expect(rows).toHaveLength(count);
    expect(rows.find((r) => r.data.id === 700).data.name).toBe('Person 700, "the 700th"\nsecond line');
    expect(new Set(rows.map((r) => r.data.id)).size).toBe(count);
    const chunkLogs = (await logsOf(key, done.id)).filter((l) => l.startsWith("rows"));
    expect(chunkLogs.length).toBeGreaterThanOrEqual(4);

    const ndjson = Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ id: i + 1, name: `N${i + 1}`, active: i % 3 === 0 })).join("\n");
    const nd = await uploadFile(key, "many.ndjson", "application/x-ndjson", ndjson + "\n{broken\n");
    const ndDone = await runImport(key, { uploadId: nd.id, dataset: "nd", schema: peopleSchema, chunkBytes: 64 * 1024 });
    expect(ndDone.result).toMatchObject({ rows: 2_001, imported: 2_000, rejected: 1 });
    expect((await allRows(key, "nd")).map((r) => r.data.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
  });

  it("upserts by the key field: importing overlapping files updates rows instead of adding them", async () => {
    const { key } = await newTenant();
    const schema = { ...peopleSchema, key: "id" };
    const a = await uploadFile(key, "a.csv", "text/csv", "id,name\n1,Ada\n2,Bob\n");
    const b = await uploadFile(key, "b.csv", "text/csv", "id,name\n2,Bobby\n3,Cy\n");
    await runImport(key, { uploadId: a.id, dataset: "keyed", schema });
    await runImport(key, { uploadId: b.id, dataset: "keyed", schema });
    const rows = await allRows(key, "keyed");
    expect(rows.map((r) => [r.key, r.data.name])).toEqual([["1", "Ada"], ["2", "Bobby"], ["3", "Cy"]]);
  });

  it("with onError abort, stops at the first bad row and fails without retrying", async () => {
    const { key } = await newTenant();
    const file = await uploadFile(key, "abort.csv", "text/csv", "id,name\n1,Ada\n2,Bob\nthree,Cy\n4,Dee\n");
    const done = await runImport(key, { uploadId: file.id, dataset: "aborted", schema: peopleSchema, onError: "abort" });
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError" } });
    expect(done.error.message).toMatch(/^row 3, id: .*onError is abort; 2 rows before it were imported/);
    expect((await allRows(key, "aborted")).map((r) => r.data.name)).toEqual(["Ada", "Bob"]);
  });

  it("refuses bad input at submit and fails on a missing upload", async () => {
    const { key } = await newTenant();
    const bad = await json(await api("/jobs", { key, body: { type: "bulk.import", input: { uploadId: "u", dataset: "Bad Name", schema: { fields: [] } } } }), 422);
    expect(bad.error.details.map((d: any) => d.path).sort()).toEqual(["input.dataset", "input.schema.fields"]);
    const keyNotField = await json(await api("/jobs", { key, body: { type: "bulk.import", input: { uploadId: "u", dataset: "d", schema: { fields: [{ name: "a" }], key: "b" } } } }), 422);
    expect(keyNotField.error.details[0].path).toBe("input.schema.key");
    const missing = await runImport(key, { uploadId: "upl_NOPE", dataset: "d", schema: peopleSchema });
    expect(missing).toMatchObject({ status: "failed", attempts: 1, error: { message: "upload upl_NOPE not found" } });
    expect((await api("/datasets/d/rows", { key })).status).toBe(404);
    expect((await api("/datasets/NOT VALID/rows", { key })).status).toBe(400);
  });

  it("resumes after a crash at the first unfinished chunk, with no chunk done twice and no duplicate rows", async () => {
    const { key, tenant } = await newTenant();
    const csv = peopleCsv(2_000);
    const file = await uploadFile(key, "crash.csv", "text/csv", csv);
    const chunkBytes = 64 * 1024;
    const job = await insertJob(tenant, { type: "bulk.import", input: { uploadId: file.id, dataset: "crash", schema: peopleSchema, chunkBytes } });
    // The second chunk starts right after the last record that ends inside the first 64 KiB.
    const secondChunk = lastRecordEnd(csv, chunkBytes);
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
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { rows: 2_000, imported: 2_000 } });
    const logs = (await logsOf(key, job.id)).filter((l) => l.startsWith("rows"));
    expect(new Set(logs).size).toBe(logs.length);
    expect(logs[1]).toMatch(new RegExp(`^rows \\d+-\\d+ from bytes ${secondChunk}-`));
    const rows = await allRows(key, "crash");
    expect(rows).toHaveLength(2_000);
    expect(await attemptsOf(key, job.id)).toHaveLength(1);
  });
});

/** Where the first chunk of `chunkBytes` ends: after its last complete (unquoted-newline) record. */
function lastRecordEnd(csv: string, chunkBytes: number): number {
  const bytes = new TextEncoder().encode(csv).subarray(0, chunkBytes);
  let inQuotes = false;
  let end = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x22) inQuotes = !inQuotes;
    else if (bytes[i] === 0x0a && !inQuotes) end = i + 1;
  }
  return end;
}
