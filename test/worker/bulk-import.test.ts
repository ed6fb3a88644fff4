import { introspectWorkflowInstance } from "cloudflare:test";
import { parse as csvParse } from "csv-parse/sync";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { completeRecordsEnd, forEachCsvRecord } from "../../src/datasets/csv";
import { RowEncoder } from "../../src/datasets/encode";
import { rowValidator } from "../../src/datasets/fields";
import { workflowInstanceId } from "../../src/workflows/instance";
import { attemptsOf, deliver, insertJob, logsOf } from "./engine-helpers";
import { api, dbOf, env, json, newTenant, uploadFile, submit, waitForStatus } from "./helpers";

async function runImport(key: string, input: Record<string, unknown>): Promise<any> {
  const job = await submit(key, { type: "bulk.import", input });
  try {
    return await waitForStatus(key, job.id, ["completed", "failed"], 30_000);
  } catch (err) {
    console.log("DEBUG", JSON.stringify(await json(await api(`/jobs/${job.id}`, { key }))), (await logsOf(key, job.id)).slice(-5));
    throw err;
  }
}

/** The dataset's own count of its rows (what the rows quota reads). */
async function rowCounter(tenant: string, dataset: string): Promise<number | undefined> {
  const row = await dbOf(tenant).prepare("SELECT row_count FROM datasets WHERE tenant = ? AND name = ?").bind(tenant, dataset).first<{ row_count: number }>();
  return row?.row_count;
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
    expect(rows.map((r) => r.key)).toEqual([`${file.id}:000000000001`, `${file.id}:000000000006`]);

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
    const { key, tenant } = await newTenant();
    const schema = { ...peopleSchema, key: "id" };
    const a = await uploadFile(key, "a.csv", "text/csv", "id,name\n1,Ada\n2,Bob\n");
    const b = await uploadFile(key, "b.csv", "text/csv", "id,name\n2,Bobby\n3,Cy\n");
    await runImport(key, { uploadId: a.id, dataset: "keyed", schema });
    await runImport(key, { uploadId: b.id, dataset: "keyed", schema });
    const rows = await allRows(key, "keyed");
    expect(rows.map((r) => [r.key, r.data.name])).toEqual([["1", "Ada"], ["2", "Bobby"], ["3", "Cy"]]);
    expect(await rowCounter(tenant, "keyed")).toBe(3);

    // A key twice in one file, in one chunk and across chunks: its last row wins, counted once.
    const names = Array.from({ length: 3_000 }, (_, i) => `${(i % 1_000) + 1},Name ${i}${" ".repeat(i === 2_000 ? 0 : 50)}`);
    const twice = await uploadFile(key, "twice.csv", "text/csv", `id,name\n1,First\n1,Second\n${names.join("\n")}\n4,Last\n`);
    const done = await runImport(key, { uploadId: twice.id, dataset: "twice", schema, chunkBytes: 64 * 1024 });
    expect(done.result).toMatchObject({ rows: 3_003, imported: 3_003 });
    const twiceRows = await allRows(key, "twice");
    expect(twiceRows).toHaveLength(1_000);
    expect((await logsOf(key, done.id)).filter((l) => l.startsWith("rows"))).toHaveLength(3);
    expect(twiceRows.find((r) => r.key === "1")).toMatchObject({ data: { name: "Name 2000" }, sourceRow: 2_003 });
    expect(twiceRows.find((r) => r.key === "4")).toMatchObject({ data: { name: "Last" }, sourceRow: 3_003 });
    expect(await rowCounter(tenant, "twice")).toBe(1_000);

    // Keys of a number field: as JavaScript writes the numbers.
    const scores = await uploadFile(key, "scores.csv", "text/csv", "score,name\n1.5,A\n0.30000000000000004,B\n1e3,C\n-0,D\n");
    const scoreSchema = { fields: [{ name: "score", type: "number", required: true }, { name: "name" }], key: "score" };
    await runImport(key, { uploadId: scores.id, dataset: "scores", schema: scoreSchema });
    expect((await allRows(key, "scores")).map((r) => [r.key, r.data.name])).toEqual([["0", "D"], ["0.30000000000000004", "B"], ["1.5", "A"], ["1000", "C"]]);
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
    expect(await rowCounter(tenant, "crash")).toBe(2_000);
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

function csvRecords(text: string) {
  const records: string[][] = [];
  const { unclosedQuote } = forEachCsvRecord(text, (cells, count) => records.push(cells.slice(0, count)));
  return { records, unclosedQuote };
}

describe("reading and checking rows", () => {
  it("reads CSV as csv-parse does with the options imports used it with", () => {
    const piece = fc.constantFrom("a", "b", "é", ",", '"', '""', "\n", "\r\n", "\r", " ", "x,y");
    const text = fc.tuple(fc.boolean(), fc.array(piece, { maxLength: 30 })).map(([bom, pieces]) => (bom ? "\uFEFF" : "") + pieces.join(""));
    fc.assert(
      fc.property(text, (text) => {
        let theirs: string[][] | null;
        try {
          theirs = csvParse(text, { bom: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true });
        } catch {
          theirs = null; // a quote never closed
        }
        const ours = csvRecords(text);
        expect(ours.unclosedQuote).toBe(theirs === null);
        if (theirs) expect(ours.records).toEqual(theirs);
      }),
      { numRuns: 10_000 },
    );
  });

  it("cuts chunks after whole records: read chunk by chunk, a file gives the records it gives read whole", () => {
    const cell = fc.array(fc.constantFrom("a", "é", '"', ",", "\n", "\r\n", " "), { maxLength: 6 }).map((c) => c.join(""));
    const quoted = (c: string) => `"${c.replaceAll('"', '""')}"`;
    const file = fc
      .tuple(fc.constantFrom("\n", "\r\n"), fc.array(fc.array(fc.tuple(fc.boolean(), cell), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }))
      .map(([lineEnd, records]) => records.map((r) => r.map(([q, c]) => (q || /[",\r\n]/.test(c) ? quoted(c) : c)).join(",")).join(lineEnd) + lineEnd);
    fc.assert(
      fc.property(file, fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 8 }), (text, lengths) => {
        const bytes = new TextEncoder().encode(text);
        const records: string[][] = [];
        for (let offset = 0, n = 0; offset < bytes.length; n++) {
          for (let length = lengths[n % lengths.length]!; ; length *= 2) {
            const end = Math.min(bytes.length, offset + length);
            const usable = end === bytes.length ? end - offset : completeRecordsEnd(bytes.subarray(offset, end));
            if (usable === 0 && end < bytes.length) continue;
            records.push(...csvRecords(new TextDecoder().decode(bytes.subarray(offset, offset + usable))).records);
            offset += usable;
            break;
          }
        }
        expect(records).toEqual(csvRecords(text).records);
      }),
      { numRuns: 3_000 },
    );
  });

  it("takes the rows zod takes, with the same data and key, and refuses the others", () => {
    const types = ["string", "number", "integer", "boolean", "date", "email"] as const;
    const value = fc.oneof(
      fc.constantFrom("", " ", "1", " 2 ", "-0", "1.5", "1e3", "0x10", "Infinity", "NaN", "9007199254740993", "true", "YES", " no ", "0", "constructor"),
      fc.constantFrom("a@b.co", "x.y+z@ex-ample.com", "@b.co", "a@b", "2024-01-02", "2024-01-02T03:04:05Z", "2024-13-01", "2024-01-02T03:04:05+01:00"),
      fc.string({ maxLength: 6 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constantFrom(null, undefined, {}),
    );
    const row = fc
      .array(fc.record({ type: fc.constantFrom(...types), required: fc.boolean() }), { minLength: 1, maxLength: 4 })
      .chain((fields) => fc.tuple(fc.constant(fields), fc.boolean(), fc.array(value, { minLength: fields.length, maxLength: fields.length })));
    fc.assert(
      fc.property(row, ([declared, keyed, values]) => {
        const fields = declared.map((f, i) => ({ name: `f${i}`, type: f.type, required: f.required || (keyed && i === 0) }));
        const schema = { fields, ...(keyed ? { key: "f0" } : {}) };
        const encoder = new RowEncoder(schema, "upl");
        const record: Record<string, unknown> = {};
        fields.forEach((f, i) => {
          encoder.values[i] = values[i];
          if (values[i] !== undefined) record[f.name] = values[i];
        });
        const element = encoder.encode() ?? encoder.check(record);
        const zod = rowValidator(schema).safeParse(record);
        expect(typeof element === "string").toBe(zod.success);
        const source = encoder.keySource;
        expect(source.from).toBe(!keyed ? "row" : ["number", "boolean"].includes(fields[0]!.type) ? "element" : "data");
        if (!zod.success) return;
        const data = zod.data as Record<string, unknown>;
        expect(element).toBe(source.from === "element" ? `[${JSON.stringify(String(data.f0))},${JSON.stringify(data)}]` : JSON.stringify(data));
        // A key SQL reads from the data is its JSON scalar as SQL text: what String() makes of it.
        if (source.from === "data") expect(typeof data.f0 === "string" ? data.f0 : JSON.stringify(data.f0)).toBe(String(data.f0));
      }),
      { numRuns: 10_000 },
    );
  });
});
