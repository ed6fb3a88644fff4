import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { logsOf } from "./engine-helpers";
import { api, json, newTenant, submit, uploadFile, waitForStatus } from "./helpers";

const filesTenant = () => newTenant(["jobs:read", "jobs:write", "reports:read", "reports:write"]);

async function analyze(key: string, input: Record<string, unknown>): Promise<any> {
  const job = await submit(key, { type: "file.analyze", input });
  return waitForStatus(key, job.id, ["completed", "failed"], 40_000);
}

const CITIES = ["Oslo", "Oslo", "Oslo", "Oslo", "Rome", "Rome", "Rome", "Lima", "Lima", "Kyiv, UA"];
const ROWS = 5_000;

/** Row i of the generated people file, as its CSV cells would read. */
function person(i: number) {
  return {
    id: String(i + 1),
    city: CITIES[i % 10]!,
    amount: i % 7 === 0 ? "" : String(i * 0.5),
    active: i % 3 === 0 ? "true" : "false",
    joined: `2024-0${(i % 9) + 1}-1${i % 10}`,
    note: i % 4 === 0 ? "12" : `note "${i}"`,
  };
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** What the profile of a column must say about counts of its values, computed from the generated values. */
function counted(values: string[]) {
  const present = values.filter((v) => v !== "");
  const counts = new Map<string, number>();
  for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
  return { nulls: values.length - present.length, distinct: counts.size, counts };
}

describe("file.analyze", () => {
  it("profiles a CSV file across checkpointed chunks: types, nulls, distinct counts, numbers and frequent values", async () => {
    const { key } = await filesTenant();
    const people = Array.from({ length: ROWS }, (_, i) => person(i));
    const lines = ["id,city,amount,active,joined,note", ...people.map((p) => Object.values(p).map(csvCell).join(","))];
    lines.splice(1_001, 0, "only,three,cells");
    const csv = `${lines.join("\n")}\n`;
    expect(csv.length).toBeGreaterThan(3 * 64 * 1024);
    const file = await uploadFile(key, "people.csv", "text/csv", csv);

    const done = await analyze(key, { uploadId: file.id, chunkBytes: 64 * 1024, sampleRows: 2, topValues: 4 });
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.progress.percent).toBe(100);
    expect((await logsOf(key, done.id)).filter((l) => l.startsWith("profiled bytes")).length).toBeGreaterThanOrEqual(3);
    const result = done.result;
    expect(result).toMatchObject({ uploadId: file.id, name: "people.csv", format: "csv", bytes: csv.length, rows: ROWS, rejected: 1, columnsTruncated: false, report: null });
    expect(result.samples).toEqual([person(0), person(1)]);
    const column = (name: string) => result.columns.find((c: any) => c.name === name);
    expect(result.columns.map((c: any) => [c.name, c.type])).toEqual([
      ["id", "integer"], ["city", "string"], ["amount", "number"], ["active", "boolean"], ["joined", "date"], ["note", "string"],
    ]);

    const amounts = people.map((p) => p.amount);
    const numbers = amounts.filter((a) => a !== "").map(Number);
    const integers = numbers.filter((n) => Number.isInteger(n)).length;
    expect(column("amount")).toMatchObject({
      nulls: counted(amounts).nulls,
      kinds: { integer: integers, number: numbers.length - integers },
      min: Math.min(...numbers),
      max: Math.max(...numbers),
      mean: numbers.reduce((s, n) => s + n, 0) / numbers.length,
      distinctExact: false,
    });
    expect(Math.abs(column("amount").distinct - counted(amounts).distinct) / counted(amounts).distinct).toBeLessThan(0.05);

    // Four cities: counted exactly, most frequent first.
    const cities = counted(people.map((p) => p.city));
    expect(column("city")).toMatchObject({ nulls: 0, distinct: 4, distinctExact: true, topExact: true, min: null, max: null, mean: null });
    expect(column("city").top).toEqual([...cities.counts].sort((a, b) => b[1] - a[1]).map(([value, count]) => ({ value, count })));
    expect(column("active")).toMatchObject({ distinct: 2, kinds: { boolean: ROWS }, top: [{ value: "false", count: counted(people.map((p) => p.active)).counts.get("false") }, { value: "true", count: Math.ceil(ROWS / 3) }] });
    // Misra-Gries keeps a value this frequent, counted at most ROWS / 65 short, among thousands of others.
    const note = column("note");
    expect(note).toMatchObject({ kinds: { integer: ROWS / 4, string: (3 * ROWS) / 4 }, topExact: false });
    expect(note.top[0].value).toBe("12");
    expect(note.top[0].count).toBeGreaterThanOrEqual(ROWS / 4 - ROWS / 65);

    // 5,000 distinct ids: past the exact count, a HyperLogLog estimate within its error; the frequent values are lower bounds.
    const id = column("id");
    expect(id).toMatchObject({ nulls: 0, min: 1, max: ROWS, mean: (ROWS + 1) / 2, distinctExact: false, topExact: false });
    expect(Math.abs(id.distinct - ROWS) / ROWS).toBeLessThan(0.05);
  });

  it("profiles the same records alike from NDJSON and from a JSON array, typed as JSON types them", async () => {
    const { key } = await filesTenant();
    const records = Array.from({ length: 3_000 }, (_, i) => ({
      n: i,
      ratio: i % 2 === 0 ? i / 4 : null,
      label: `a "quoted", [bracketed] {braced} \\ label ${i % 50}`,
      ...(i % 5 === 0 ? { nested: { at: i, tags: ["x", "y"] } } : {}),
      mixed: i % 3 === 0 ? "three" : i,
      when: i % 2 === 0 ? `2024-05-0${(i % 9) + 1}T10:00:00Z` : `2024-05-0${(i % 9) + 1}`,
    }));
    const ndjson = `${records.map((r) => JSON.stringify(r)).join("\n")}\n{not json\n`;
    const array = `[\n${records.map((r) => JSON.stringify(r)).join(",\n")},\n42\n]\n`;
    const nd = await uploadFile(key, "records.ndjson", "application/x-ndjson", ndjson);
    const js = await uploadFile(key, "records.json", "application/json", array);

    const fromNd = await analyze(key, { uploadId: nd.id, chunkBytes: 64 * 1024, sampleRows: 1 });
    const fromJs = await analyze(key, { uploadId: js.id, chunkBytes: 64 * 1024, sampleRows: 1 });
    for (const done of [fromNd, fromJs]) expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(fromNd.result).toMatchObject({ format: "ndjson", rows: 3_000, rejected: 1 });
    expect(fromJs.result).toMatchObject({ format: "json", rows: 3_000, rejected: 1, samples: [records[0]] });
    expect(fromJs.result.columns).toEqual(fromNd.result.columns);

    const column = (name: string) => fromJs.result.columns.find((c: any) => c.name === name);
    expect(fromJs.result.columns.map((c: any) => [c.name, c.type, c.nulls])).toEqual([
      ["n", "integer", 0], ["ratio", "number", 1_500], ["label", "string", 0], ["nested", "object", 2_400], ["mixed", "mixed", 0], ["when", "datetime", 0],
    ]);
    expect(column("label")).toMatchObject({ distinct: 50, distinctExact: true, topExact: true });
    expect(column("label").top[0]).toEqual({ value: 'a "quoted", [bracketed] {braced} \\ label 0', count: 60 });
    expect(column("mixed")).toMatchObject({ kinds: { string: 1_000, integer: 2_000 }, topExact: false });
    expect(column("mixed").top[0].value).toBe("three");
    expect(column("ratio")).toMatchObject({ min: 0, max: 2998 / 4, mean: records.reduce((s, r) => s + (r.ratio ?? 0), 0) / 1_500 });
    expect(column("when").kinds).toEqual({ datetime: 1_500, date: 1_500 });
  });

  it("renders the profile into a report version, as Markdown and as a Word document", async () => {
    const { key } = await filesTenant();
    const csv = "name,score\nAda,3\nBob,\nAda,5\n";
    const file = await uploadFile(key, "small.csv", "text/csv", csv);
    const done = await analyze(key, { uploadId: file.id, report: { format: "markdown" } });
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.result.report).toMatchObject({ reportName: "small.csv profile", version: 1, format: "markdown", duplicate: false });
    const markdown = await (await api(done.result.report.contentUrl.replace("/api/v1", ""), { key })).text();
    expect(markdown).toContain(`# Profile of small.csv\n\n3 rows (0 unreadable) and 2 columns in ${csv.length} bytes of CSV.`);
    expect(markdown).toContain("| name | string | 0 | 2 |  |  |  |\n| score | integer | 1 | 2 | 3 | 5 | 4 |\n");
    expect(markdown).toContain('### name\n\n- "Ada": 2\n- "Bob": 1\n');

    const word = await analyze(key, { uploadId: file.id, report: { name: "scores", format: "docx" } });
    expect(word.result.report).toMatchObject({ reportName: "scores", format: "docx" });
    const docx = unzipSync(new Uint8Array(await (await api(word.result.report.contentUrl.replace("/api/v1", ""), { key })).arrayBuffer()));
    expect(strFromU8(docx["word/document.xml"]!)).toContain("Profile of small.csv");
  });

  it("refuses a missing upload, an unknown format and bad options at submit, and fails on a file that is not one", async () => {
    const { key } = await filesTenant();
    const missing = await json(await api("/jobs", { key, body: { type: "file.analyze", input: { uploadId: "upl_NOPE" } } }), 422);
    expect(missing).toEqual({
      error: { code: "invalid_job", message: "the job was not accepted", details: [{ path: "input.uploadId", message: "upload upl_NOPE not found" }], requestId: expect.any(String) },
    });
    const text = await uploadFile(key, "notes.txt", "text/plain", "hello\n");
    const unknown = await json(await api("/jobs", { key, body: { type: "file.analyze", input: { uploadId: text.id } } }), 422);
    expect(unknown.error.details).toEqual([{ path: "input.uploadId", message: `cannot tell the format of notes.txt (text/plain): give "format" (csv, ndjson or json)` }]);
    const batch = await json(await api("/jobs/batch", { key, body: { jobs: [{ type: "simulate", input: {} }, { type: "file.analyze", input: { uploadId: "upl_GONE" } }] } }), 422);
    expect(batch.error.details).toEqual([{ path: "jobs.1.input.uploadId", message: "upload upl_GONE not found" }]);
    const options = await json(await api("/jobs", { key, body: { type: "file.analyze", input: { uploadId: text.id, topValues: 0, report: { format: "xlsx" } } } }), 422);
    expect(options.error.details.map((d: any) => d.path).sort()).toEqual(["input.report.format", "input.topValues"]);

    const open = await uploadFile(key, "open.json", "application/json", '[{"a":1},{"a":2}');
    const object = await uploadFile(key, "object.json", "application/json", '{"a":1}');
    const failed = await analyze(key, { uploadId: open.id });
    expect(failed).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError", message: "open.json: the JSON array is never closed: the file ends inside it" } });
    const notArray = await analyze(key, { uploadId: object.id });
    expect(notArray.error.message).toBe("object.json: a JSON file of records must hold one array: [{…}, {…}, …]");
  });

  it("documents both file job types' inputs and results in the OpenAPI document", async () => {
    const { key } = await filesTenant();
    const schemas = (await json(await api("/openapi.json", { key }), 200)).components.schemas;
    expect(Object.keys(schemas.FileAnalyzeJobInput.properties)).toEqual(expect.arrayContaining(["uploadId", "format", "sampleRows", "topValues", "report"]));
    expect(Object.keys(schemas.FileAnalyzeJobResult.properties)).toEqual(expect.arrayContaining(["rows", "columns", "samples", "report"]));
    expect(Object.keys(schemas.FileTransformJobInput.properties)).toEqual(expect.arrayContaining(["uploadId", "mapping", "output", "onError"]));
    expect(Object.keys(schemas.FileTransformJobResult.properties)).toEqual(expect.arrayContaining(["uploadId", "written", "rejected", "errorReport"]));
    expect(schemas.SubmitFileTransformJob.properties.type).toMatchObject({ enum: ["file.transform"] });
  });
});
