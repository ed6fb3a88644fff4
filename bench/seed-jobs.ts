// Writes a tenant's job history straight into a stopped dev server's local D1 (a SQLite file in
// its state directory), so that the lists section can measure at a million jobs without running
// a million jobs first. Rows are written as the engine leaves them: finished jobs with their
// attempt on the row, queued ones with their next message due, tags in job_tags.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DAY_MS = 86_400_000;

/** A job id as src/engine/ids.ts makes them: the creation time, then 16 random characters. */
function jobId(ms: number): string {
  let time = "";
  for (let i = 0, v = Math.floor(ms); i < 10; i++, v = Math.floor(v / 32)) time = CROCKFORD[v % 32] + time;
  let rest = "";
  for (let i = 0; i < 16; i++) rest += CROCKFORD[Math.floor(Math.random() * 32)];
  return `job_${time}${rest}`;
}

/** The SQLite file of the local D1 database in `state` that holds the job `markerId`. */
export function databaseHolding(state: string, markerId: string): string {
  const dir = join(state, "v3", "d1", "miniflare-D1DatabaseObject");
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".sqlite"))) {
    const db = new DatabaseSync(join(dir, name), { readOnly: true });
    try {
      const hasJobs = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").get();
      if (hasJobs && db.prepare("SELECT 1 FROM jobs WHERE id = ?").get(markerId)) return join(dir, name);
    } finally {
      db.close();
    }
  }
  throw new Error(`no local D1 database in ${state} holds job ${markerId}`);
}

export interface SeedShape {
  tenant: string;
  count: number;
  /** Job i of the tenant (0-based): its type, priority, tag and whether it stays queued. */
  job: (i: number) => { type: string; priority: string; tag: string; queued: boolean };
  /** The history spans [now - spanDays, now - endsBeforeMs], job i created at its share of it. */
  spanDays: number;
  endsBeforeMs: number;
}

/**
 * Inserts `count` jobs of `tenant` into the SQLite file, in one transaction. Only columns that
 * exist are written, so the schema may gain columns; answers the number of rows written.
 */
export function seedJobs(file: string, shape: SeedShape, now = Date.now()): number {
  const db = new DatabaseSync(file);
  try {
    const columns = new Set((db.prepare("PRAGMA table_info(jobs)").all() as { name: string }[]).map((c) => c.name));
    const from = now - shape.spanDays * DAY_MS;
    const step = (shape.spanDays * DAY_MS - shape.endsBeforeMs) / shape.count;
    const row = (i: number) => {
      const spec = shape.job(i);
      const createdAt = Math.floor(from + i * step);
      const values: Record<string, string | number | null> = {
        id: jobId(createdAt),
        tenant: shape.tenant,
        type: spec.type,
        status: spec.queued ? "queued" : "completed",
        priority: spec.priority,
        input: spec.queued ? '{"url":"https://example.com/never","method":"GET"}' : '{"steps":1,"stepMs":0}',
        result: spec.queued ? null : '{"steps":1,"attempt":1}',
        attempts: spec.queued ? 0 : 1,
        max_attempts: 3,
        timeout_ms: 60_000,
        backoff: '{"type":"exponential","baseMs":1000,"maxMs":60000}',
        tags: JSON.stringify([spec.tag]),
        run_at: spec.queued ? createdAt + 300 * DAY_MS : createdAt,
        created_at: createdAt,
        started_at: spec.queued ? null : createdAt + 3,
        finished_at: spec.queued ? null : createdAt + 5,
        // A queued job's message is re-delayed every 12 hours until it is due.
        dispatch_due_at: spec.queued ? now + DAY_MS / 2 : null,
        attempt_started_at: spec.queued ? null : createdAt + 3,
        attempt_outcome: spec.queued ? null : "succeeded",
      };
      return Object.fromEntries(Object.entries(values).filter(([name]) => columns.has(name)));
    };
    const names = Object.keys(row(0));
    const insertJob = db.prepare(`INSERT INTO jobs (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`);
    const insertTag = db.prepare("INSERT INTO job_tags (tenant, tag, job_id) VALUES (?, ?, ?)");
    db.exec("BEGIN");
    for (let i = 0; i < shape.count; i++) {
      const values = row(i);
      insertJob.run(...names.map((n) => values[n]!));
      insertTag.run(shape.tenant, shape.job(i).tag, values.id!);
    }
    db.exec("COMMIT");
    return shape.count;
  } finally {
    db.close();
  }
}
