import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgeJobs, EdgeJobsError, type JobEvent, type JobInputs } from "edge-jobs/client";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "../e2e/dev-server";
import { cuttingFetch } from "./cutting-fetch";

let server: DevServer;
let apiKey: string;
const tenant = `client-${Date.now().toString(36)}`;

beforeAll(async () => {
  server = await startDevServer();
  const admin = new EdgeJobs({ baseUrl: server.url, apiKey: E2E_ADMIN_KEY });
  const created = await admin.keys.create({ name: "client-tests", tenant, scopes: ["jobs:read", "jobs:write", "admin"] });
  apiKey = created.key;
});
afterAll(async () => server?.stop());

const client = (options: Partial<ConstructorParameters<typeof EdgeJobs>[0]> = {}) =>
  new EdgeJobs({ baseUrl: server.url, apiKey, ...options });

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}

describe("edge-jobs/client", () => {
  it("names every built-in job type in its input map", () => {
    const dir = join(import.meta.dirname, "../../src/jobs");
    const types = readdirSync(dir).flatMap((f) => [...readFileSync(join(dir, f), "utf8").matchAll(/defineJob\(\{\s*type: "([^"]+)"/g)].map((m) => m[1]));
    const mapped: Record<keyof JobInputs, true> = {
      simulate: true, "http.request": true, "report.generate": true, "bulk.import": true,
      export: true, batch: true, "document.ingest": true, "jobs.bulk": true, "file.analyze": true, "file.transform": true,
    };
    expect(types.sort()).toEqual(Object.keys(mapped).sort());
  });

  it("submits a typed job, reads it back and waits for it to finish", async () => {
    const ej = client();
    const job = await ej.jobs.submit("simulate", { steps: 2, stepMs: 50 }, { tags: ["wait"] });
    expect(job).toMatchObject({ type: "simulate", status: "queued", tags: ["wait"], input: { steps: 2, stepMs: 50 } });
    expect((await ej.jobs.get(job.id)).id).toBe(job.id);
    const done = await ej.jobs.wait(job.id, { timeoutMs: 60_000 });
    expect(done).toMatchObject({ id: job.id, status: "completed" });
    expect(done.finishedAt).not.toBeNull();
  });

  it("times a wait out with an EdgeJobsError", async () => {
    const ej = client();
    const job = await ej.jobs.submit("simulate", { steps: 1, stepMs: 0 }, { delayMs: 600_000 });
    await expect(ej.jobs.wait(job.id, { timeoutMs: 500 })).rejects.toMatchObject({ name: "EdgeJobsError", code: "timeout", status: 0 });
    await ej.jobs.cancel(job.id);
  });

  it("lists every page of jobs through the cursor", async () => {
    const ej = client();
    const tag = `page-${Date.now()}`;
    const batch = await ej.jobs.submitBatch(Array.from({ length: 7 }, () => ({ type: "simulate" as const, input: { steps: 1, stepMs: 0 }, tags: [tag], delayMs: 600_000 })));
    expect(batch.created).toBe(7);
    const pages: string[] = [];
    const listed = await collect(client({ fetch: (input, init) => (pages.push(String(input)), fetch(input, init)) }).jobs.list({ tag, limit: 3 }));
    expect(listed.map((j) => j.id).sort()).toEqual(batch.items.map((j) => j.id).sort());
    expect(pages).toHaveLength(3);
    expect(pages.slice(1).every((url) => new URL(url).searchParams.has("cursor"))).toBe(true);
  });

  it("watches a job across cut connections, every event once and in order", async () => {
    const cutting = cuttingFetch({ cuts: 2, afterEvents: 2 });
    const job = await client().jobs.submit("simulate", { steps: 8, stepMs: 300 });
    const [cut, reference] = await Promise.all([
      collect(client({ fetch: cutting.fetch }).jobs.watch(job.id)),
      collect(client().jobs.watch(job.id)),
    ]);
    expect(cutting.requested.length).toBeGreaterThanOrEqual(3);
    // Each reconnect resumes after an event it had yielded (the cut one is half-read, so not yet).
    const resumedAfter = cutting.requested.slice(1).map((url) => Number(new URL(url).searchParams.get("after")));
    expect(resumedAfter.every((after) => cut.some((e) => e.seq === after))).toBe(true);
    const seqs = cut.map((e) => e.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    const key = (e: JobEvent) => `${e.seq}:${e.type}`;
    const first = Math.max(cut[0]!.seq, reference[0]!.seq);
    expect(cut.filter((e) => e.seq > first).map(key)).toEqual(reference.filter((e) => e.seq > first).map(key));
    expect(cut.at(-1)).toMatchObject({ type: "status", status: "completed" });
  });

  it("uploads a file in more than two parts and gets the same bytes back", async () => {
    const ej = client();
    const size = 11 * 1024 * 1024 + 12_345;
    const bytes = new Uint8Array(size).map((_, i) => (i * 31 + (i >> 13)) & 0xff);
    const progress: number[] = [];
    const stream = new Blob([bytes]).stream();
    const upload = await ej.uploads.upload(stream, { name: "big.bin", size, onProgress: (sent, total) => (progress.push(sent), expect(total).toBe(size)) });
    expect(upload).toMatchObject({ status: "stored", size, name: "big.bin" });
    expect(progress).toEqual([0, 5 * 1024 * 1024, 10 * 1024 * 1024, size]);
    const back = new Uint8Array(await (await ej.uploads.content(upload.id)).arrayBuffer());
    expect(back.length).toBe(size);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
  });

  it("reports a 404 as EdgeJobsError with its code and request id", async () => {
    const error = await client().jobs.get("job_missing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeJobsError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
    expect((error as EdgeJobsError).requestId).toMatch(/.+/);
  });

  it("reports a 422 with its details", async () => {
    const error = await client().jobs.submit("simulate", { steps: -1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeJobsError);
    expect(error).toMatchObject({ status: 422 });
    const e = error as EdgeJobsError;
    expect(e.code).toMatch(/.+/);
    expect(e.requestId).toMatch(/.+/);
    expect(e.details).toBeDefined();
  });

  it("retries a 429 after Retry-After, and gives up after its attempts", async () => {
    const rule = await fetch(`${server.url}/api/v1/rate-limits/simulate`, {
      method: "PUT",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ limit: 1, windowMs: 2_000 }),
    });
    expect(rule.status).toBe(200);
    try {
      const statuses: number[] = [];
      const watching: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        statuses.push(response.status);
        return response;
      };
      await client().jobs.submit("simulate", { steps: 1, stepMs: 0 });
      const second = await client({ fetch: watching }).jobs.submit("simulate", { steps: 1, stepMs: 0 });
      expect(second.status).toBe("queued");
      expect(statuses[0]).toBe(429);
      expect(statuses.at(-1)).toBe(202);
      const refused = await client({ retry: { attempts: 1 } }).jobs.submit("simulate", { steps: 1, stepMs: 0 }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ name: "EdgeJobsError", status: 429 });
    } finally {
      await fetch(`${server.url}/api/v1/rate-limits/simulate`, { method: "DELETE", headers: { authorization: `Bearer ${apiKey}` } });
    }
  });
});
