// `npm run bench -- statements`: what one D1 database can carry. The platform's own submit, claim
// and settle batches for 1, 100 and 1,000 jobs, built by the store's statement builders, are timed
// on SQLite (node:sqlite, the real migrations, 10,000 finished jobs already in the table) and their
// rows written and read counted by workerd's local D1, which counts them as D1 bills them (every
// table row and index entry a statement writes). docs/scaling.md turns the figures into ceilings.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, percentile } from "./harness.ts";
import type { SqliteStatement } from "./sqlite-d1.ts";
import type { Arrow, Db, Sent } from "./statements-scenario.ts";

// Loaded when the section runs: node:sqlite and the src/ loader are for this section only.
const scenario = () => import("./statements-scenario.ts");
const ARROWS = ["submit", "claim", "settle"] as const satisfies readonly Arrow[];

const SIZES = [1, 100, 1_000] as const;
type Size = (typeof SIZES)[number];
/** Rounds timed per size (after one untimed): at least 500 calls or 5,000 jobs, and ten rounds. */
const ROUNDS: Record<Size, number> = { 1: 500, 100: 50, 1_000: 10 };
const SEED_JOBS = 10_000;
/**
 * Production D1 time beyond the SQL itself: Cloudflare's rule of thumb is about 1 ms per query for
 * a database that runs one query at a time (docs/scaling.md). Local SQLite runs most of these
 * statements in microseconds, so the estimate is the SQL time measured here plus 1 ms.
 */
const PER_QUERY_MS = 1;
const D1_MAX_BYTES = 10e9;
const RETENTION_DAYS = 30;

type Measured = Record<Arrow, Record<Size, Sent[]>>;
const empty = (): Measured => ({ submit: { 1: [], 100: [], 1_000: [] }, claim: { 1: [], 100: [], 1_000: [] }, settle: { 1: [], 100: [], 1_000: [] } });

/** Every migration, applied as the tests apply them (one batch per file). */
async function migrate(db: Db) {
  const { readD1Migrations } = await import("@cloudflare/vitest-plugin");
  for (const migration of await readD1Migrations(new URL("../migrations", import.meta.url).pathname)) {
    await db.batch(migration.queries.map((q) => db.prepare(q)));
  }
}

/** A database with the migrations, the tenant's key and SEED_JOBS finished jobs (as the bench makes them). */
async function prepare(db: Db) {
  const { loadBuilders, round, storeKey } = await scenario();
  const builders = await loadBuilders();
  await migrate(db);
  await storeKey(db);
  for (let i = 0; i < SEED_JOBS / 1_000; i++) await round(builders, db, 1_000);
  return (size: number) => round(builders, db, size);
}

async function timeOnSqlite(dir: string) {
  const { sqliteD1 } = await import("./sqlite-d1.ts");
  const sqlite = sqliteD1(join(dir, "d1.sqlite"));
  try {
    const bare = sqlite.bytes();
    const next = await prepare(sqlite as unknown as Db);
    const bytesPerJob = (sqlite.bytes() - bare) / SEED_JOBS;
    const measured = empty();
    for (const size of SIZES) {
      await next(size);
      for (let i = 0; i < ROUNDS[size]; i++) {
        const sent = await next(size);
        for (const arrow of ARROWS) measured[arrow][size].push(sent[arrow]);
      }
    }
    return { measured, bytesPerJob };
  } finally {
    sqlite.close();
  }
}

/** One round per size on workerd's own D1 (through wrangler's platform proxy, seeded alike), for its row counts. */
async function countOnWorkerd(dir: string) {
  const { getPlatformProxy } = await import("wrangler");
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, `name = "statements-bench"\ncompatibility_date = "2026-11-01"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "bench"\ndatabase_id = "bench"\n`);
  const proxy = await getPlatformProxy<{ DB: Db }>({ configPath: config, persist: { path: join(dir, "workerd") } });
  try {
    const next = await prepare(proxy.env.DB);
    const counted = empty();
    for (const size of SIZES) {
      const sent = await next(size);
      for (const arrow of ARROWS) counted[arrow][size].push(sent[arrow]);
    }
    return counted;
  } finally {
    await proxy.dispose();
  }
}

/** "update jobs", "insert attempts": what a statement does, from its text. */
function describe(statement: unknown): string {
  const sql = (statement as SqliteStatement).sql.replace(/\s+/g, " ").trim();
  const write = /^(?:WITH .*?\) )?(INSERT INTO|UPDATE|DELETE FROM) (\w+)/i.exec(sql);
  if (write) return `${write[1]!.split(" ")[0]!.toLowerCase()} ${write[2]}`;
  const read = /\bFROM (\w+)/i.exec(sql);
  return `select ${read ? read[1] : "(values)"}`;
}

interface Row {
  arrow: Arrow;
  size: Size;
  statements: { label: string; ms: number; written: number; read: number }[];
  wallMs: number;
}

function summarise(measured: Measured, counted: Measured): Row[] {
  return ARROWS.flatMap((arrow) =>
    SIZES.map((size) => {
      const rounds = measured[arrow][size];
      const workerd = counted[arrow][size][0]!;
      const statements = rounds[0]!.statements.map((statement, i) => ({
        label: rounds[0]!.labels[i] || describe(statement),
        ms: percentile(rounds.map((r) => r.results[i]?.meta.duration ?? NaN), 50),
        written: workerd.results[i]?.meta.rows_written ?? NaN,
        read: workerd.results[i]?.meta.rows_read ?? NaN,
      }));
      return { arrow, size, statements, wallMs: percentile(rounds.map((r) => r.wallMs), 50) };
    }),
  );
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const writtenPerJob = (row: Row) => sum(row.statements.map((s) => s.written)) / row.size;
const readPerJob = (row: Row) => sum(row.statements.map((s) => s.read)) / row.size;

/**
 * Production D1 time of one batch: the SQL time measured here plus PER_QUERY_MS for each of its
 * statements ("query": Cloudflare's per-query figure applied to every statement) or once for the
 * batch ("batch": a batch is one request to the database). The truth lies between.
 */
type Overhead = "query" | "batch";
const d1Ms = (row: Row, per: Overhead) => sum(row.statements.map((s) => s.ms)) + PER_QUERY_MS * (per === "query" ? row.statements.length : 1);
const range = (low: number, high: number, digits = 0) => `${fmt(low, digits)}-${fmt(high, digits)}`;
const pad = (text: string | number, width: number) => String(text).padStart(width);

function printTable(rows: Row[]) {
  console.log("arrow   jobs  queries  SQLite ms/call  ms/job  rows written/job  rows read/job  D1 ms/call (per query-per batch)  jobs/s per database");
  for (const row of rows) {
    const [slow, fast] = [d1Ms(row, "query"), d1Ms(row, "batch")];
    const cells = [pad(row.size, 5), pad(row.statements.length, 8), pad(fmt(row.wallMs, 3), 15), pad(fmt(row.wallMs / row.size, 4), 7),
      pad(fmt(writtenPerJob(row), 2), 17), pad(fmt(readPerJob(row), 2), 14), pad(range(fast, slow, 2), 33), pad(range((row.size * 1000) / slow, (row.size * 1000) / fast), 20)];
    console.log(`${row.arrow.padEnd(6)}${cells.join(" ")}`);
  }
  console.log("\nper statement (SQLite ms per call; rows written per job):");
  for (const row of rows) {
    const parts = row.statements.map((s) => `${s.label} ${fmt(s.ms, 3)} ms, ${fmt(s.written / row.size, 2)} rows`);
    console.log(`${row.arrow} x${row.size}: ${parts.join("; ")}`);
  }
}

function printCeilings(rows: Row[], bytesPerJob: number) {
  const find = (arrow: Arrow, size: Size) => rows.find((r) => r.arrow === arrow && r.size === size)!;
  const mixes: [string, Size, Size][] = [
    ["single POST /jobs, consumer invocations of 100", 1, 100],
    ["POST /jobs/batch of 100, consumer invocations of 100", 100, 100],
    ["POST /jobs/batch of 1,000, consumer invocations of 1,000", 1_000, 1_000],
  ];
  console.log(`\none D1 database, submit + claim + settle of each job, at ${PER_QUERY_MS} ms per query or per batch + the SQL time measured here:`);
  for (const [name, submitted, consumed] of mixes) {
    const parts = [find("submit", submitted), find("claim", consumed), find("settle", consumed)];
    const perJob = (per: Overhead) => sum(parts.map((row) => d1Ms(row, per) / row.size));
    const queries = sum(parts.map((row) => row.statements.length / row.size));
    const local = sum(parts.map((row) => row.wallMs / row.size));
    const [slow, fast] = [perJob("query"), perJob("batch")];
    console.log(`${name}: ${range(fast, slow, 3)} ms per job => ${range(1000 / slow, 1000 / fast)} jobs/s, ${fmt(queries, 2)} queries per job (SQLite alone: ${fmt(1000 / local, 0)} jobs/s); ${fmt(sum(parts.map(writtenPerJob)), 2)} rows written, ${fmt(sum(parts.map(readPerJob)), 2)} read per job`);
  }
  const jobs = D1_MAX_BYTES / bytesPerJob;
  console.log(`storage: ${fmt(bytesPerJob, 0)} bytes per finished job => ${fmt(jobs / 1e6, 1)}M jobs per 10 GB database, ${fmt(jobs / (RETENTION_DAYS * 86_400), 1)} jobs/s sustained at ${RETENTION_DAYS}-day retention`);
}

export async function reportStatements() {
  const dir = mkdtempSync(join(tmpdir(), "edge-jobs-statements-"));
  try {
    const { measured, bytesPerJob } = await timeOnSqlite(dir);
    const counted = await countOnWorkerd(dir);
    const rows = summarise(measured, counted);
    const { DatabaseSync } = await import("node:sqlite");
    const version = (new DatabaseSync(":memory:").prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
    console.log(`## D1 statements: submit, claim, settle of 1, 100, 1,000 jobs (SQLite ${version} via node:sqlite, medians of ${ROUNDS[1]}/${ROUNDS[100]}/${ROUNDS[1_000]} rounds, ${SEED_JOBS} finished jobs in the table; rows counted by workerd's D1)`);
    printTable(rows);
    printCeilings(rows, bytesPerJob);
    console.log("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
