// `npm run bench -- import`: a generated CSV (BENCH_IMPORT_MB, default 1024) sent by multipart
// upload and loaded by `bulk.import` into a dataset, with the workerd processes' resident memory
// sampled meanwhile, beside the `sqlite3` tool's `.import` of the same file. Numbers only.
import { execFileSync, spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MiB, type Platform, fmt, sampleRss, waitJob, withPlatform, workerdPids } from "./harness.ts";

const HEADER = "id,name,email,score,notes\n";
const PART = 8 * MiB;
const PARALLEL = 4;
const SCHEMA = {
  key: "id",
  fields: [
    { name: "id", type: "integer", required: true },
    { name: "name", type: "string", required: true },
    { name: "email", type: "email", required: true },
    { name: "score", type: "integer" },
    { name: "notes", type: "string" },
  ],
};

const row = (i: number) => `${i},name ${i},u${i}@example.com,${i % 1000},note ${i % 97}\n`;

/** Writes rows to `path` until it holds at least `bytes`, a batch at a time, waiting for the disk. */
async function generateCsv(path: string, bytes: number): Promise<{ rows: number; size: number }> {
  const out = createWriteStream(path);
  let failure: Error | null = null;
  out.on("error", (err) => (failure = err));
  let size = 0;
  let rows = 0;
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      size += Buffer.byteLength(text);
      if (out.write(text)) resolve();
      else out.once("drain", resolve);
    });
  await write(HEADER);
  while (size < bytes) {
    let batch = "";
    for (let n = 0; n < 20_000 && size + batch.length < bytes; n++) batch += row(++rows);
    await write(batch);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { rows, size: statSync(path).size };
}

/** Multipart upload of the file: parts of PART bytes, PARALLEL at a time. Answers the upload's id. */
async function multipartUpload(p: Platform, path: string, size: number): Promise<string> {
  const upload = await p.api("/uploads/multipart", { name: "bench.csv", contentType: "text/csv" });
  const file = await open(path, "r");
  const count = Math.ceil(size / PART);
  const parts: { partNumber: number; etag: string }[] = [];
  let next = 1;
  try {
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next <= count) {
          const n = next++;
          const bytes = new Uint8Array(Math.min(PART, size - (n - 1) * PART));
          await file.read(bytes, 0, bytes.length, (n - 1) * PART);
          const res = await p.call(`/uploads/${upload.id}/parts/${n}`, { method: "PUT", body: bytes });
          if (!res.ok) throw new Error(`part ${n} answered ${res.status}: ${await res.text()}`);
          parts.push(await res.json());
        }
      }),
    );
  } finally {
    await file.close();
  }
  parts.sort((a, b) => a.partNumber - b.partNumber);
  const stored = await p.api(`/uploads/${upload.id}/complete`, { parts });
  if (stored.size !== size) throw new Error(`the upload stored ${stored.size} bytes of ${size}`);
  return upload.id;
}

/** The sqlite3 CLI's `.import --csv` of the file into a table keyed like the dataset: seconds, or null without the tool. */
function sqliteFloor(path: string, dir: string): number | null {
  if (spawnSync("sqlite3", ["-version"]).error) return null;
  const db = join(dir, "floor.db");
  const script = [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, score INTEGER, notes TEXT);",
    `.import --csv --skip 1 ${path} t`,
    "SELECT count(*) FROM t;",
  ].join("\n");
  const started = performance.now();
  const out = execFileSync("sqlite3", [db], { input: script, encoding: "utf8", maxBuffer: 64 * MiB });
  const seconds = (performance.now() - started) / 1000;
  console.log(`sqlite3 ${spawnSync("sqlite3", ["-version"], { encoding: "utf8" }).stdout.split(" ")[0]} counted ${out.trim()} rows`);
  return seconds;
}

const mb = (bytes: number) => bytes / 1e6;
const mib = (kib: number) => `${fmt(kib / 1024, 0)} MiB`;

async function uploadAndImport(p: Platform, path: string, csv: { rows: number; size: number }) {
  const pids = workerdPids(p.server.port);
  const rss = sampleRss(pids, 200);
  console.log(`workerd processes of the dev server: ${pids.join(", ") || "none found"}; resident before: ${rss.now().map(mib).join(", ")}`);
  const t0 = performance.now();
  const uploadId = await multipartUpload(p, path, csv.size);
  const uploadSeconds = (performance.now() - t0) / 1000;
  const afterUpload = rss.stop();
  const rssImport = sampleRss(pids, 200);
  const t1 = performance.now();
  const job = await p.api("/jobs", { type: "bulk.import", input: { uploadId, dataset: "bench", schema: SCHEMA } });
  const { job: done, seenAt } = await waitJob(p, job.id, 3_600_000, 200);
  const importSeconds = (seenAt - t1) / 1000;
  const duringImport = rssImport.stop();
  if (done.status !== "completed") throw new Error(`bulk.import ${done.status}: ${JSON.stringify(done.error)}`);
  const dataset = await p.api("/datasets/bench");
  const parts = Math.ceil(csv.size / PART);
  console.log(`upload: ${parts} parts of ${PART / MiB} MiB, ${PARALLEL} in parallel: ${fmt(uploadSeconds, 2)} s => ${fmt(mb(csv.size) / uploadSeconds, 1)} MB/s`);
  const stamped = (Date.parse(done.finishedAt) - Date.parse(done.startedAt)) / 1000;
  console.log(`bulk.import: submit to completion seen (polled every 200 ms) ${fmt(importSeconds, 2)} s => ${fmt(csv.rows / importSeconds, 0)} rows/s, ${fmt(mb(csv.size) / importSeconds, 2)} MB/s` +
    ` (job's own startedAt..finishedAt: ${fmt(stamped, 2)} s; attempts ${done.attempts}; result ${JSON.stringify({ rows: done.result.rows, imported: done.result.imported, rejected: done.result.rejected })}; dataset rows ${dataset.rows})`);
  console.log(`workerd peak resident memory (VmRSS, sampled every 200 ms): upload ${[...afterUpload.peaks].map(([pid, k]) => `${pid} ${mib(k)}`).join(", ")} (sum ${mib(afterUpload.peakSum)}, ${afterUpload.samples} samples);` +
    ` import ${[...duringImport.peaks].map(([pid, k]) => `${pid} ${mib(k)}`).join(", ")} (sum ${mib(duringImport.peakSum)}, ${duringImport.samples} samples)`);
  return { importSeconds };
}

export async function reportImport(admin: string) {
  const targetMb = Number(process.env.BENCH_IMPORT_MB ?? 1024);
  const dir = mkdtempSync(join(tmpdir(), "edge-jobs-import-"));
  const path = join(dir, "bench.csv");
  try {
    const g0 = performance.now();
    const csv = await generateCsv(path, targetMb * MiB);
    console.log(`## Bulk import: generated CSV of ${csv.rows} rows (5 fields, keyed by id), ${fmt(mb(csv.size), 1)} MB (BENCH_IMPORT_MB=${targetMb}), written in ${fmt((performance.now() - g0) / 1000, 1)} s`);
    const vars = { QUOTA_DATASET_ROWS: "1000000000", QUOTA_UPLOAD_BYTES: String(64 * 1024 * MiB) };
    let importSeconds = NaN;
    await withPlatform(admin, vars, async (p) => {
      ({ importSeconds } = await uploadAndImport(p, path, csv));
    });
    const floor = sqliteFloor(path, dir);
    if (floor === null) console.log("sqlite3 floor: the sqlite3 command-line tool is absent on this machine; not measured");
    else {
      console.log(`sqlite3 floor: .import --csv into a table with the same primary key: ${fmt(floor, 2)} s => ${fmt(csv.rows / floor, 0)} rows/s, ${fmt(mb(csv.size) / floor, 1)} MB/s`);
      console.log(`bulk.import at ${fmt((100 * floor) / importSeconds, 1)}% of the floor's rate\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
