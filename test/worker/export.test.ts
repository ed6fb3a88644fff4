import { describe, expect, it } from "vitest";
import { api, env, json, newTenant, uploadFile, submit, waitForStatus } from "./helpers";

async function run(key: string, type: string, input: Record<string, unknown>): Promise<any> {
  const job = await submit(key, { type, input });
  return waitForStatus(key, job.id, ["completed", "failed"], 60_000);
}

async function download(key: string, url: string) {
  const res = await api(url.replace("/api/v1", ""), { key });
  expect(res.status).toBe(200);
  return { type: res.headers.get("content-type"), text: await res.text() };
}

async function sha256(text: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const schema = { key: "id", fields: [{ name: "id", type: "integer", required: true }, { name: "name", type: "string" }, { name: "note", type: "string" }] };

describe("export", () => {
  it("exports a dataset as CSV, NDJSON and JSON, with a download link and the file's hash", async () => {
    const { key } = await newTenant();
    const file = await uploadFile(key, "d.csv", "text/csv", 'id,name,note\n1,Ada,"says ""hi"", then leaves"\n2,Bob,\n');
    expect((await run(key, "bulk.import", { uploadId: file.id, dataset: "people", schema })).status).toBe("completed");

    const csv = await run(key, "export", { source: "dataset", dataset: "people", format: "csv" });
    expect(csv).toMatchObject({ status: "completed", result: { rows: 2, format: "csv", name: "people-export.csv" } });
    expect(csv.progress.percent).toBe(100);
    const got = await download(key, csv.result.url);
    expect(got.type).toBe("text/csv");
    expect(got.text).toBe('key,id,name,note\n1,1,Ada,"says ""hi"", then leaves"\n2,2,Bob,\n');
    expect(csv.result.sha256).toBe(await sha256(got.text));

    const nd = await run(key, "export", { source: "dataset", dataset: "people", format: "ndjson" });
    expect((await download(key, nd.result.url)).text.trim().split("\n").map((l) => JSON.parse(l))).toEqual([
      { key: "1", id: 1, name: "Ada", note: 'says "hi", then leaves' },
      { key: "2", id: 2, name: "Bob" },
    ]);
    const js = await run(key, "export", { source: "dataset", dataset: "people", format: "json", name: "people.json" });
    expect(js.result.name).toBe("people.json");
    expect(JSON.parse((await download(key, js.result.url)).text)).toHaveLength(2);
    const listed = await json(await api("/uploads", { key }), 200);
    expect(listed.items.map((u: any) => u.name)).toContain("people.json");
  });

  it("exports the tenant's jobs with filters, and its reports", async () => {
    const { key } = await newTenant(["jobs:read", "jobs:write", "reports:read", "reports:write"]);
    const ok = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const bad = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true } });
    await waitForStatus(key, ok.id, ["completed"]);
    await waitForStatus(key, bad.id, ["failed"]);
    const failed = await run(key, "export", { source: "jobs", format: "ndjson", filters: { status: "failed" } });
    const lines = (await download(key, failed.result.url)).text.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ id: bad.id, status: "failed", type: "simulate", error: "simulated failure on attempt 1" })]);

    const all = await run(key, "export", { source: "jobs", format: "csv" });
    const rows = (await download(key, all.result.url)).text.trim().split("\n");
    expect(rows[0]).toBe("id,type,status,priority,attempts,maxAttempts,tags,createdAt,startedAt,finishedAt,error,input,result");
    expect(rows.length).toBeGreaterThanOrEqual(3);

    await json(await api("/reports", { key, body: { name: "r1", format: "text", content: "x" } }), 201);
    const reports = await run(key, "export", { source: "reports", format: "json" });
    expect(JSON.parse((await download(key, reports.result.url)).text)).toEqual([expect.objectContaining({ name: "r1", latestVersion: 1 })]);
  });

  it("writes a large export in several segments, joins them into one file and removes them", async () => {
    const { key, tenant } = await newTenant();
    const note = "x".repeat(1_000);
    const lines = ["id,name,note", ...Array.from({ length: 6_000 }, (_, i) => `${i + 1},n${i + 1},${note}`)];
    const file = await uploadFile(key, "big.csv", "text/csv", lines.join("\n"));
    expect((await run(key, "bulk.import", { uploadId: file.id, dataset: "big", schema })).status).toBe("completed");
    const done = await run(key, "export", { source: "dataset", dataset: "big", format: "ndjson" });
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.result.size).toBeGreaterThan(4 * 1024 * 1024);
    const text = (await download(key, done.result.url)).text;
    const ids = text.trim().split("\n").map((l) => JSON.parse(l).id);
    expect(ids).toHaveLength(6_000);
    expect(new Set(ids).size).toBe(6_000);
    expect(done.result.sha256).toBe(await sha256(text));
    expect((await env.BUCKET.list({ prefix: `exports/${tenant}/` })).objects).toEqual([]);
  });

  it("refuses bad input at submit and fails on a missing dataset", async () => {
    const { key } = await newTenant();
    const bad = await json(await api("/jobs", { key, body: { type: "export", input: { source: "dataset" } } }), 422);
    expect(bad.error.details[0].path).toBe("input.dataset");
    const filters = await json(await api("/jobs", { key, body: { type: "export", input: { source: "reports", filters: { status: "failed" } } } }), 422);
    expect(filters.error.details[0].path).toBe("input.filters");
    const missing = await run(key, "export", { source: "dataset", dataset: "nope" });
    expect(missing).toMatchObject({ status: "failed", attempts: 1, error: { message: "dataset nope not found" } });
  });
});
