// One round of the job store's three hot arrows, built by the platform's own statement builders
// (src/engine/store and the submit around them) and sent as the platform sends them: each arrow is
// one D1 batch. Used by bench/statements.ts against node:sqlite (timed) and workerd's D1 (counted).
import "./src-loader.ts";

/** The slice of a D1 binding the builders and the bench use; both databases of the bench provide it. */
export interface Db {
  prepare(sql: string): unknown;
  batch(statements: unknown[]): Promise<Result[]>;
}

export interface Result {
  results?: Record<string, unknown>[];
  meta: { duration?: number; rows_written?: number; rows_read?: number };
}

/** A batch as sent: its statements (the sqlite ones carry their text), its answer and its wall time. */
export interface Sent {
  statements: unknown[];
  /** What each statement is for, where the scenario knows it (the submit's parts). */
  labels: string[];
  results: Result[];
  wallMs: number;
}

export type Arrow = "submit" | "claim" | "settle";

type Row = { id: string };
type Claimed = { id: string };
interface Principal {
  tenant: string;
  scopes: string[];
  keyId: string;
  keyHash: string;
}

/** What the bench calls in src/, loaded at run time (see src-loader.ts), by the module that exports it. */
const BUILDERS = {
  "engine/submit.ts": ["prepareJobs"],
  "engine/rate-limits.ts": ["rateGroups", "admitStatements", "reportStatements"],
  "engine/store/insert.ts": ["insertStatements"],
  "auth/live-key.ts": ["liveKeyStatement"],
  "engine/store/claim.ts": ["claimStatements", "claimedBy"],
  "engine/settle.ts": ["decide"],
  "engine/store/settle.ts": ["settleStatements"],
  "db/raw.ts": ["rawSql"],
} as const;

interface Builders {
  prepareJobs(tenant: string, requests: object[], now: number, at: (i: number) => string): Row[];
  rateGroups(rows: Row[]): unknown[];
  admitStatements(db: Db, tenant: string, groups: unknown[], now: number): unknown[];
  reportStatements(db: Db, tenant: string, groups: unknown[], now: number): unknown[];
  insertStatements(db: Db, principal: Principal, rows: Row[], groups: string, now: number, liveJobsDefault: number): {
    inserts: unknown[];
    tagInserts: unknown[];
    liveJobsReport: unknown;
  };
  liveKeyStatement(env: { DB: Db }, principal: Principal): unknown;
  claimStatements(db: Db, ids: string[], token: string, now: number): unknown[];
  claimedBy(results: Result[]): Claimed[];
  decide(input: { job: Claimed; result: { ok: true; result: string } }, now: number): unknown;
  settleStatements(sql: unknown, settlements: unknown[], now: number): { jobUpdates: unknown[]; rest: unknown[] };
  rawSql(db: Db): unknown;
}

const SRC = new URL("../src/", import.meta.url);

/** The builders, each checked to exist: a renamed one stops the section with a message saying where. */
export async function loadBuilders(): Promise<Builders> {
  const builders: Record<string, unknown> = {};
  for (const [path, names] of Object.entries(BUILDERS)) {
    const module: Record<string, unknown> = await import(new URL(path, SRC).href);
    for (const name of names) {
      if (typeof module[name] !== "function") throw new Error(`src/${path} no longer exports ${name}(): bench/statements-scenario.ts needs updating`);
      builders[name] = module[name];
    }
  }
  return builders as unknown as Builders;
}

export const TENANT = "bench";
const KEY = { id: "key_bench", hash: "bench-key-hash" };
export const PRINCIPAL: Principal = { tenant: TENANT, scopes: ["jobs:read", "jobs:write"], keyId: KEY.id, keyHash: KEY.hash };
/** QUOTA_LIVE_JOBS in wrangler.toml. */
const LIVE_JOBS_DEFAULT = 100_000;
/** What a simulate {steps: 1} attempt answers. */
const RESULT = JSON.stringify({ steps: 1, attempt: 1 });

/** The tenant's API key, stored as the keys route stores one: the submit checks it is live. */
export async function storeKey(db: Db) {
  const insert = db.prepare(
    "INSERT INTO api_keys (id, name, tenant, scopes, hash, prefix, created_at) VALUES (?, 'bench', ?, '[\"jobs:read\",\"jobs:write\"]', ?, 'ejk_bench', ?)",
  ) as { bind(...values: unknown[]): unknown };
  await db.batch([insert.bind(KEY.id, TENANT, KEY.hash, Date.now())]);
}

/** Jobs as `POST /jobs/batch` validates them: the bench's usual single-step job, one tag. */
function requests(n: number) {
  return Array.from({ length: n }, () => ({ type: "simulate", input: { steps: 1, stepMs: 0 }, priority: "normal", tags: ["bench"] }));
}

async function send(db: Db, parts: [string, unknown[]][]): Promise<Sent> {
  const statements = parts.flatMap(([, list]) => list);
  const labels = parts.flatMap(([label, list]) => list.map(() => label));
  const started = performance.now();
  const results = await db.batch(statements);
  return { statements, labels, results, wallMs: performance.now() - started };
}

function expect(what: string, got: number, n: number) {
  if (got !== n) throw new Error(`the ${what} moved ${got} of ${n} jobs: the scenario no longer matches the store`);
}

/**
 * Submits `n` jobs in the batch `submissionBatch` (src/engine/submit.ts, not exported) composes
 * from the same builders: rate limits admitted, job and tag inserts, rate report, key check,
 * live-jobs quota. Then claims them all as one consumer invocation does, and settles them all as
 * completed, as the consumer's settle does.
 */
export async function round(b: Builders, db: Db, n: number): Promise<Record<Arrow, Sent>> {
  const now = Date.now();
  const rows = b.prepareJobs(TENANT, requests(n), now, (i) => `jobs[${i}].`);
  const groups = b.rateGroups(rows);
  const { inserts, tagInserts, liveJobsReport } = b.insertStatements(db, PRINCIPAL, rows, JSON.stringify(groups), now, LIVE_JOBS_DEFAULT);
  const admit = b.admitStatements(db, TENANT, groups, now);
  const submit = await send(db, [
    ["rate limits admit", admit],
    ["insert jobs", inserts],
    ["insert job_tags", tagInserts],
    ["rate limits report", b.reportStatements(db, TENANT, groups, now)],
    ["key is live", [b.liveKeyStatement({ DB: db }, PRINCIPAL)]],
    ["live-jobs quota", [liveJobsReport]],
  ]);
  const ids = submit.results.slice(admit.length, admit.length + inserts.length).flatMap((r) => (r.results ?? []).map((row) => String(row.id)));
  expect("submit", ids.length, n);

  const claim = await send(db, [["", b.claimStatements(db, ids, `claim_bench_${now}`, now + 1)]]);
  const claimed = b.claimedBy(claim.results);
  expect("claim", claimed.length, n);

  const settlements = claimed.map((job) => b.decide({ job, result: { ok: true, result: RESULT } }, now + 2));
  const { jobUpdates, rest } = b.settleStatements(b.rawSql(db), settlements, now + 2);
  const settle = await send(db, [["", jobUpdates], ["", rest]]);
  expect("settle", settle.results.slice(0, jobUpdates.length).reduce((sum, r) => sum + (r.results?.length ?? 0), 0), n);
  return { submit, claim, settle };
}
