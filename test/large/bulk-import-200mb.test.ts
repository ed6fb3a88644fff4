import { introspectWorkflowInstance } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { workflowInstanceId } from "../../src/workflows/instance";
import { deliver, insertJob, logsOf, watch } from "../worker/engine-helpers";
import { api, dbOf, getJob, json, newTenant } from "../worker/helpers";

const MIB = 1024 * 1024;
const TOTAL = 200 * MIB;
const PART = 10 * MIB;
const CHUNK = 8 * MIB;
const HEADER = "id,name,email,score,notes\n";
/** Every row is exactly ROW bytes, so the test knows where each chunk of the import starts. */
const ROW = 200;
const ROWS = Math.floor((TOTAL - HEADER.length) / ROW);

function row(i: number): string {
  const id = String(i).padStart(8, "0");
  const start = `${id},name ${id},u${id}@example.com,${i % 1000},`;
  return start + "n".repeat(ROW - start.length - 1) + "\n";
}

/** Bytes [from, to) of the file: the header, then the rows. */
function slice(from: number, to: number): Uint8Array {
  const firstRow = Math.max(0, Math.floor((from - HEADER.length) / ROW));
  let text = from < HEADER.length ? HEADER : "";
  const base = from < HEADER.length ? 0 : HEADER.length + firstRow * ROW;
  for (let i = firstRow; base + text.length < to && i < ROWS; i++) text += row(i + 1);
  const bytes = new TextEncoder().encode(text);
  return bytes.subarray(from - base, to - base);
}

function send(key: string, path: string, method: string, body: BodyInit | null, headers: Record<string, string> = {}) {
  return exports.default.fetch(`https://jobs.test/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...headers }, body });
}

/** Where the import's chunk that begins at `offset` ends (after its last whole row). */
function nextOffset(offset: number): number {
  const end = Math.min(HEADER.length + ROWS * ROW, offset + CHUNK);
  return HEADER.length + Math.floor((end - HEADER.length) / ROW) * ROW;
}

it("imports a 200 MB CSV brought by multipart upload, resuming after a crash without duplicate rows", async () => {
  const { key, tenant } = await newTenant();
  const size = HEADER.length + ROWS * ROW;

  const upload = await json(await send(key, "/uploads/multipart", "POST", JSON.stringify({ name: "big.csv", contentType: "text/csv" }), { "content-type": "application/json" }), 201);
  const parts = [];
  for (let n = 1, from = 0; from < size; n++, from += PART) {
    parts.push(await json(await send(key, `/uploads/${upload.id}/parts/${n}`, "PUT", slice(from, Math.min(size, from + PART))), 200));
  }
  const stored = await json(await send(key, `/uploads/${upload.id}/complete`, "POST", JSON.stringify({ parts }), { "content-type": "application/json" }), 200);
  expect(stored).toMatchObject({ status: "stored", size });

  const schema = {
    fields: [
      { name: "id", type: "integer", required: true },
      { name: "name", type: "string", required: true },
      { name: "email", type: "email", required: true },
      { name: "score", type: "integer" },
      { name: "notes", type: "string" },
    ],
    key: "id",
  };
  const job = await insertJob(tenant, { type: "bulk.import", input: { uploadId: upload.id, dataset: "big", schema, chunkBytes: CHUNK } });
  let crashAt = 0;
  for (let i = 0; i < 10; i++) crashAt = nextOffset(crashAt);
  let chunks = 0;
  for (let offset = 0; offset < size; offset = nextOffset(offset)) chunks++;

  const instance = await introspectWorkflowInstance(env.DURABLE_JOB, workflowInstanceId(job.id, 0));
  // Progress as a subscriber sees it: the events the job published while it ran.
  const watcher = await watch(key, job.id);
  try {
    // The 11th chunk's step dies on every try of the first attempt, so that attempt fails; the
    // next attempt starts again at the 11th chunk, reusing the ten checkpoints before it.
    await instance.modify(async (m) => {
      await m.mockStepError({ name: `rows from byte ${crashAt}` }, new Error("the isolate went away"));
      await m.disableRetryDelays();
      await m.disableSleeps();
    });
    await deliver([{ ids: [job.id] }]);
    await instance.waitForStatus("complete");
    await watcher.closed;
  } finally {
    await instance.dispose();
  }

  const done = await getJob(key, job.id);
  expect(done).toMatchObject({ status: "completed", attempts: 2, result: { rows: ROWS, imported: ROWS, rejected: 0 } });
  const progress = watcher.messages.filter((m) => m.type === "progress");
  expect(progress.length).toBe(chunks);
  expect(progress.map((m) => m.percent)).toEqual([...progress.map((m) => m.percent)].sort((a, b) => a - b));
  expect(progress.at(-1)).toMatchObject({ percent: 100, stage: "import" });
  expect(progress[0]!.message).toMatch(/^\d+ rows imported, 0 rejected; \d+ of \d+ bytes$/);

  const logs = (await logsOf(key, job.id)).filter((l) => l.startsWith("rows "));
  expect(new Set(logs).size).toBe(logs.length);
  expect(logs).toHaveLength(chunks);
  expect(logs[10]).toMatch(new RegExp(`from bytes ${crashAt}-`));
  const db = dbOf(tenant);
  const counted = await db.prepare("SELECT count(*) AS n, count(DISTINCT key) AS k FROM dataset_rows WHERE tenant = ? AND dataset = 'big'").bind(tenant).first<{ n: number; k: number }>();
  expect(counted).toEqual({ n: ROWS, k: ROWS });
  // The dataset's own count of its rows, which the rows quota reads, agrees.
  expect(await db.prepare("SELECT row_count FROM datasets WHERE tenant = ? AND name = 'big'").bind(tenant).first("row_count")).toBe(ROWS);
  const dataset = await json(await api("/datasets/big", { key }), 200);
  expect(dataset.rows).toBe(ROWS);
});
