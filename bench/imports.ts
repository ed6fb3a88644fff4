// `npm run bench -- import`: a generated CSV (BENCH_IMPORT_MB, default 1024) sent by multipart
// upload and loaded by `bulk.import` into a dataset (BENCH_IMPORT_CHUNK_MB sets its chunkBytes;
// default the job's), with the workerd processes' resident memory and CPU sampled meanwhile,
// beside the `sqlite3` tool's `.import` of the same file. Numbers only.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { open } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
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

/**
 * The kinds of resident memory of `pids` (KiB, from /proc/<pid>/status), sampled: RssAnon is the
 * heap (V8's and native allocations, SQLite's page cache), RssFile + RssShmem pages of files
 * mapped in (SQLite's database, WAL and its index). `stop()` answers each one's peak and, to show
 * whether memory grows with the rows imported, the largest sum of RssAnon in each tenth of the run.
 */
function sampleMemoryKinds(pids: number[], everyMs = 500) {
  const peaks = new Map<number, { anon: number; file: number }>(pids.map((pid) => [pid, { anon: 0, file: 0 }]));
  const anonSums: number[] = [];
  const take = () => {
    let anonSum = 0;
    for (const pid of pids) {
      let status = "";
      try {
        status = readFileSync(`/proc/${pid}/status`, "utf8");
      } catch {
        continue;
      }
      const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
      const peak = peaks.get(pid)!;
      peak.anon = Math.max(peak.anon, kib("RssAnon"));
      peak.file = Math.max(peak.file, kib("RssFile") + kib("RssShmem"));
      anonSum += kib("RssAnon");
    }
    anonSums.push(anonSum);
  };
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const tenth = (i: number) => anonSums.slice(Math.floor((i * anonSums.length) / 10), Math.max(1, Math.floor(((i + 1) * anonSums.length) / 10)));
      const tenths = Array.from({ length: 10 }, (_, i) => Math.max(...tenth(i)));
      return {
        peaks: [...peaks].map(([pid, p]) => `${pid} anon ${mib(p.anon)} + files ${mib(p.file)}`).join(", "),
        tenths: tenths.map((k) => fmt(k / 1024, 0)).join(" "),
      };
    },
  };
}

/** CPU seconds (user + system) the processes have used so far, from /proc/<pid>/stat (clock ticks of 1/100 s). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/** Bytes under each directory of the dev server's state (D1's SQLite files, R2's blobs, ...). */
function stateSizes(state: string): string {
  const dirs = readdirSync(join(state, "v3")).map((d) => join(state, "v3", d));
  const out = spawnSync("du", ["-s", "--block-size=1M", ...dirs], { encoding: "utf8" }).stdout.trim();
  return out
    .split("\n")
    .map((line) => line.split("\t"))
    .map(([size, dir]) => `${dir!.split("/").pop()} ${size} MiB`)
    .join(", ");
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
  const kinds = sampleMemoryKinds(pids);
  const [cpu0, load0] = [cpuSeconds(pids), loadavg()[0]!];
  const t1 = performance.now();
  const chunkMb = process.env.BENCH_IMPORT_CHUNK_MB;
  const job = await p.api("/jobs", { type: "bulk.import", input: { uploadId, dataset: "bench", schema: SCHEMA, ...(chunkMb ? { chunkBytes: Number(chunkMb) * MiB } : {}) } });
  const { job: done, seenAt } = await waitJob(p, job.id, 3_600_000, 200);
  const importSeconds = (seenAt - t1) / 1000;
  const [importCpu, load1] = [cpuSeconds(pids) - cpu0, loadavg()[0]!];
  const duringImport = rssImport.stop();
  const kindPeaks = kinds.stop();
  if (done.status !== "completed") throw new Error(`bulk.import ${done.status}: ${JSON.stringify(done.error)}`);
  const dataset = await p.api("/datasets/bench");
  const parts = Math.ceil(csv.size / PART);
  console.log(`upload: ${parts} parts of ${PART / MiB} MiB, ${PARALLEL} in parallel: ${fmt(uploadSeconds, 2)} s => ${fmt(mb(csv.size) / uploadSeconds, 1)} MB/s`);
  const stamped = (Date.parse(done.finishedAt) - Date.parse(done.startedAt)) / 1000;
  console.log(`bulk.import: submit to completion seen (polled every 200 ms) ${fmt(importSeconds, 2)} s => ${fmt(csv.rows / importSeconds, 0)} rows/s, ${fmt(mb(csv.size) / importSeconds, 2)} MB/s` +
    ` (job's own startedAt..finishedAt: ${fmt(stamped, 2)} s; attempts ${done.attempts}; result ${JSON.stringify({ rows: done.result.rows, imported: done.result.imported, rejected: done.result.rejected })}; dataset rows ${dataset.rows})`);
  console.log(`workerd peak resident memory (VmRSS, sampled every 200 ms): upload ${[...afterUpload.peaks].map(([pid, k]) => `${pid} ${mib(k)}`).join(", ")} (sum ${mib(afterUpload.peakSum)}, ${afterUpload.samples} samples);` +
    ` import ${[...duringImport.peaks].map(([pid, k]) => `${pid} ${mib(k)}`).join(", ")} (sum ${mib(duringImport.peakSum)}, ${duringImport.samples} samples)`);
  // The runtime is one thread: on a busy machine it gets less than a core, which the rate per CPU second does not see.
  console.log(`bulk.import used ${fmt(importCpu, 1)} s of workerd CPU in ${fmt(importSeconds, 1)} s (${fmt((100 * importCpu) / importSeconds, 0)}% of a core;` +
    ` load average ${fmt(load0, 1)} before, ${fmt(load1, 1)} after, on ${cpus().length} cores) => ${fmt(csv.rows / importCpu, 0)} rows per workerd CPU second`);
  console.log(`workerd memory during the import, peaks: ${kindPeaks.peaks} (RssAnon: heaps; files: mapped pages); on disk after it: ${stateSizes(p.server.state)}`);
  console.log(`workerd RssAnon (sum, MiB), the peak in each tenth of the import: ${kindPeaks.tenths}`);
  return { importSeconds };
}

/**
 * Runs `section` with the working directory in a copy of the worker's sources, so that the dev
 * server it starts builds from the copy: wrangler dev rebuilds and reloads the worker on every
 * change to its sources, dropping the requests in flight (an upload's part, the import's step:
 * "other side closed"), and the tree may be edited while a run of many minutes goes on.
 */
async function inSourceSnapshot(section: () => Promise<void>): Promise<void> {
  const root = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), "edge-jobs-src-"));
  for (const entry of ["src", "migrations", "wrangler.toml", "tsconfig.json", "package.json", ".dev.vars", ".dev.vars.example"]) {
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  process.chdir(dir);
  try {
    await section();
  } finally {
    process.chdir(root);
    rmSync(dir, { recursive: true, force: true });
  }
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
    await inSourceSnapshot(() =>
      withPlatform(admin, vars, async (p) => {
        try {
          ({ importSeconds } = await uploadAndImport(p, path, csv));
        } catch (err) {
          console.log(`the import section failed; the dev server's log ends with:\n${p.server.output().slice(-4000)}`);
          throw err;
        }
      }),
    );
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
