import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

async function items(key: string, id: string, query = "") {
  return (await json(await api(`/jobs/${id}/items?limit=1000${query}`, { key }), 200)).items as any[];
}

const ok = (stepMs = 0) => ({ steps: 1, stepMs });
const failing = { steps: 1, stepMs: 0, failUntilAttempt: 99, nonRetryable: true };

describe("batch", () => {
  it("runs every item with the item type, recording each one's status, result and error", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "batch", input: { itemType: "simulate", items: [ok(), failing, ok(5), { steps: 2, stepMs: 0 }], concurrency: 2 } });
    const done: any = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", result: { total: 4, succeeded: 3, failed: 1 }, progress: { percent: 100 } });
    const list = await items(key, job.id);
    expect(list.map((i) => [i.index, i.status])).toEqual([[0, "succeeded"], [1, "failed"], [2, "succeeded"], [3, "succeeded"]]);
    expect(list[3]).toMatchObject({ input: { steps: 2, stepMs: 0 }, result: { steps: 2, attempt: 1 }, attempts: 1, error: null });
    expect(list[1]).toMatchObject({ attempts: 1, error: { name: "NonRetryableError", message: "simulated failure on attempt 1" } });
    expect((await items(key, job.id, "&status=failed")).map((i) => i.index)).toEqual([1]);
  });

  it("never runs more items at once than its concurrency", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "batch", input: { itemType: "simulate", items: Array.from({ length: 24 }, () => ok(40)), concurrency: 3 } });
    await waitForStatus(key, job.id, ["completed"]);
    const list = await items(key, job.id);
    const events = list.flatMap((i) => [[Date.parse(i.startedAt), 1], [Date.parse(i.finishedAt), -1]] as const);
    // Ends before starts at the same instant: an item that finished frees its slot.
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let running = 0;
    let most = 0;
    for (const [, change] of events) most = Math.max(most, (running += change));
    expect(most).toBe(3);
  });

  it("retries an item with its type's policy before counting it as failed", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "batch", input: { itemType: "simulate", items: [{ steps: 1, stepMs: 0, failUntilAttempt: 2 }] } });
    await waitForStatus(key, job.id, ["completed"]);
    expect((await items(key, job.id))[0]).toMatchObject({ status: "succeeded", attempts: 2, result: { attempt: 2 } });
  });

  it("with failFast, stops at the first failed item and cancels the rest", async () => {
    const { key } = await newTenant();
    const list = [failing, ...Array.from({ length: 30 }, () => ok(20))];
    const job = await submit(key, { type: "batch", input: { itemType: "simulate", items: list, concurrency: 1, failFast: true } });
    const done: any = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError" } });
    expect(done.error.message).toMatch(/^item 0 failed \(simulated failure on attempt 1\); failFast cancelled 30 items$/);
    const statuses = (await items(key, job.id)).map((i) => i.status);
    expect(statuses).toEqual(["failed", ...Array(30).fill("cancelled")]);
  });

  it("cancelling the batch cancels the items that have not run", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "batch", input: { itemType: "simulate", items: Array.from({ length: 60 }, () => ok(100)), concurrency: 2 } });
    // Item outcomes show as the items finish, before the group of items they run in is done.
    await waitFor(() => items(key, job.id, "&status=succeeded"), (done) => done.length >= 10, 30_000);
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
    const after = await items(key, job.id);
    const counts = Object.fromEntries(["pending", "succeeded", "cancelled"].map((s) => [s, after.filter((i) => i.status === s).length]));
    expect(counts.pending).toBe(0);
    expect(counts.cancelled).toBeGreaterThan(20);
    expect(await (await api(`/jobs/${job.id}`, { key })).json()).toMatchObject({ status: "cancelled" });
  });

  it("takes its items from an uploaded file, one per line", async () => {
    const { key } = await newTenant();
    const upload: any = await (await exports.default.fetch("https://jobs.test/api/v1/uploads?name=items.ndjson", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/x-ndjson" },
      body: ['{"steps":1,"stepMs":0}', "", '{"steps":3,"stepMs":0}', "not json"].join("\n"),
    })).json();
    const job = await submit(key, { type: "batch", input: { itemType: "simulate", itemsFromUpload: upload.id } });
    const done: any = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done.result).toEqual({ total: 3, succeeded: 2, failed: 1 });
    const list = await items(key, job.id);
    expect(list[2]).toMatchObject({ input: "not json", status: "failed", error: { name: "NonRetryableError" } });
  });

  it("reads a large items file a range at a time, with lines across the ranges' edges", async () => {
    const { key } = await newTenant();
    const pad = "x".repeat(500);
    const lines = Array.from({ length: 2_500 }, (_, i) => JSON.stringify({ steps: 1 + (i % 3), stepMs: 0, note: `${i}${pad}` }));
    const upload: any = await (await exports.default.fetch("https://jobs.test/api/v1/uploads?name=many.ndjson", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/x-ndjson" },
      body: lines.join("\n"),
    })).json();
    expect(upload.size).toBeGreaterThan(1024 * 1024);
    const job = await submit(key, { type: "batch", input: { itemType: "simulate", itemsFromUpload: upload.id, concurrency: 50 } });
    const done: any = await waitForStatus(key, job.id, ["completed", "failed"], 60_000);
    expect(done.result).toEqual({ total: 2_500, succeeded: 2_500, failed: 0 });
    const all = await items(key, job.id, "&status=succeeded");
    expect(all).toHaveLength(1_000);
    const last: any = (await json(await api(`/jobs/${job.id}/items?cursor=${encodeURIComponent(btoa(JSON.stringify({ i: 2_497 })).replace(/=+$/, ""))}`, { key }), 200)).items;
    expect(last.map((i: any) => [i.index, i.input.note.slice(0, 4)])).toEqual([[2_498, "2498"], [2_499, "2499"]]);
  });

  it("refuses bad batches at submit with the items' field paths", async () => {
    const { key } = await newTenant();
    const bad = await json(await api("/jobs", { key, body: { type: "batch", input: { itemType: "simulate", items: [ok(), { steps: "x" }, { steps: 1, durable: true }] } } }), 422);
    expect(bad.error.details.map((d: any) => d.path)).toEqual(["input.items.1.steps", "input.items.2"]);
    for (const input of [
      { itemType: "nope", items: [] },
      { itemType: "batch", items: [] },
      { itemType: "simulate" },
      { itemType: "simulate", items: [], itemsFromUpload: "u" },
      { itemType: "simulate", items: [], concurrency: 0 },
    ]) {
      expect((await api("/jobs", { key, body: { type: "batch", input } })).status, JSON.stringify(input)).toBe(422);
    }
    const other = await newTenant();
    const job = await submit(key, { type: "batch", input: { itemType: "simulate", items: [ok()] } });
    expect((await api(`/jobs/${job.id}/items`, { key: other.key })).status).toBe(404);
    const notBatch = await submit(key, { type: "simulate", input: ok() });
    expect((await api(`/jobs/${notBatch.id}/items`, { key })).status).toBe(404);
  });
});
