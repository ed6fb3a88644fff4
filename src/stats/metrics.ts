import type { Family, Labels, Sample } from "./exposition";
import { rowsOf } from "../db/raw";
import type { jobMetricTotals } from "../db/schema";
import { PRIORITIES } from "../engine/lanes";
import { DURATION_BUCKETS } from "./totals";

/**
 * What GET /metrics exposes, read in one batch per database in time that does not grow with the
 * job history: counters and the run-time histogram from the monotonic totals the clock rolls up
 * (totals.ts), gauges from the status roll-ups plus the jobs above the watermark (as counts.ts),
 * the due waiting jobs through `jobs_waiting_dispatch` (as lanes.ts) and the dead letters' index.
 * `tenant` null reads every tenant of the database (the platform's view).
 */

type Totals = typeof jobMetricTotals.$inferSelect;
type Lane = { tenant: string; priority: string };
type Due = Lane & { n: number; oldest: number | null };

/** The schema's property of a bucket column: `le_100ms` is `le100ms`. */
const columnKey = (column: string) => column.replace("_", "") as "le100ms";
const WATERMARK = "(SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')";
const LANES = `(${PRIORITIES.map((p) => `'${p}'`).join(", ")})`;
const TOTALS_FIELDS = [
  "tenant, type, priority, submitted, completed, failed, retried, runs, run_ms AS runMs",
  ...DURATION_BUCKETS.map((b) => `${b.column} AS ${columnKey(b.column)}`),
].join(", ");
/** A waiting job's message is due a second after its start at most (see lanes.ts). */
const DELAY_ROUNDING_MS = 1_000;

function statements(db: D1Database, tenant: string | null, now: number) {
  const of = (alias = "") => (tenant === null ? "1" : `${alias}tenant = ?1`);
  const bound = (sql: string, ...params: unknown[]) => db.prepare(sql).bind(...(tenant === null ? params : [tenant, ...params]));
  const due = (dispatch: string) =>
    db
      .prepare(
        `SELECT tenant, priority, count(*) AS n, min(run_at) AS oldest FROM jobs
         WHERE status IN ('queued', 'retrying') AND priority IN ${LANES} AND ${dispatch} AND run_at <= ?3
           AND ${tenant === null ? "1" : "+tenant = ?1"}
         GROUP BY tenant, priority`,
      )
      .bind(tenant, now + DELAY_ROUNDING_MS, now);
  return [
    bound(`SELECT ${TOTALS_FIELDS} FROM job_metric_totals WHERE ${of()}`),
    bound(`SELECT tenant, priority, sum(running) AS running FROM job_rollups WHERE ${of()} GROUP BY tenant, priority`),
    bound(
      `SELECT tenant, priority, count(*) AS running FROM jobs
       WHERE ${of()} AND status = 'running' AND id >= ${WATERMARK} GROUP BY tenant, priority`,
    ),
    due("dispatch_due_at <= ?2"),
    due("dispatch_due_at IS NULL"),
    bound(`SELECT tenant, count(*) AS n FROM dead_letters WHERE ${of()} GROUP BY tenant`),
  ];
}

interface Share {
  totals: Totals[];
  running: (Lane & { running: number | null })[];
  due: Due[];
  dead: { tenant: string; n: number }[];
}

async function share(db: D1Database, tenant: string | null, now: number): Promise<Share> {
  const r = await db.batch(statements(db, tenant, now));
  return {
    totals: rowsOf<Totals>(r, 0),
    running: [...rowsOf<Lane & { running: number | null }>(r, 1), ...rowsOf<Lane & { running: number }>(r, 2)],
    due: [...rowsOf<Due>(r, 3), ...rowsOf<Due>(r, 4)],
    dead: rowsOf(r, 5),
  };
}

/** Sums `value` per distinct label set, in first-seen order. */
function summed<T>(rows: T[], labels: (row: T) => Labels, value: (row: T) => number, suffix?: string): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const row of rows) {
    const l = labels(row);
    const key = JSON.stringify(l);
    const s = byKey.get(key) ?? { labels: l, value: 0, ...(suffix ? { suffix } : {}) };
    s.value += value(row);
    byKey.set(key, s);
  }
  return [...byKey.values()];
}

const byType = (r: Totals) => ({ tenant: r.tenant, type: r.type });

function histogram(totals: Totals[]): Sample[] {
  const series = new Map<string, Totals[]>();
  for (const r of totals) series.set(JSON.stringify(byType(r)), [...(series.get(JSON.stringify(byType(r))) ?? []), r]);
  return [...series.values()].flatMap((rows) => {
    const labels = byType(rows[0]!);
    const sum = (f: (r: Totals) => number) => rows.reduce((n, r) => n + Number(f(r)), 0);
    const buckets = DURATION_BUCKETS.map((b) => ({
      suffix: "_bucket",
      labels: { ...labels, le: String(b.le) },
      value: sum((r) => r[columnKey(b.column)]),
    }));
    return [
      ...buckets,
      { suffix: "_bucket", labels: { ...labels, le: "+Inf" }, value: sum((r) => r.runs) },
      { suffix: "_sum", labels, value: sum((r) => r.runMs) / 1000 },
      { suffix: "_count", labels, value: sum((r) => r.runs) },
    ];
  });
}


/** Each tenant's four lanes, zeros included, so a lane that empties reads 0 rather than vanishing. */
function laneGauges(tenants: string[], rows: Lane[], value: (rows: Lane[]) => number): Sample[] {
  return tenants.flatMap((tenant) =>
    PRIORITIES.map((lane) => ({ labels: { tenant, lane }, value: value(rows.filter((r) => r.tenant === tenant && r.priority === lane)) })),
  );
}

/** The families of `tenant`'s jobs in its database, or (`tenant` null) of every tenant's in all of them. */
export async function metricFamilies(databases: D1Database[], tenant: string | null, now = Date.now()): Promise<Family[]> {
  const shares = await Promise.all(databases.map((db) => share(db, tenant, now)));
  const totals = shares.flatMap((s) => s.totals);
  const running = shares.flatMap((s) => s.running);
  const due = shares.flatMap((s) => s.due);
  const dead = shares.flatMap((s) => s.dead);
  const seen = [...totals, ...running, ...due, ...dead].map((r) => r.tenant);
  const tenants = [...new Set(tenant === null ? seen : [tenant])].sort();
  const counter = (name: string, help: string, value: (r: Totals) => number, labels: (r: Totals) => Labels = byType): Family => ({
    name,
    help,
    type: "counter",
    samples: summed(totals, labels, value),
  });
  return [
    counter("edge_jobs_jobs_submitted_total", "Jobs submitted, counted by the clock's roll-up a minute after submission.", (r) => r.submitted, (r) => ({
      tenant: r.tenant,
      type: r.type,
      lane: r.priority,
    })),
    counter("edge_jobs_jobs_completed_total", "Jobs that completed, counted a minute after they finished.", (r) => r.completed),
    counter("edge_jobs_jobs_failed_total", "Jobs that failed for good, counted a minute after they finished.", (r) => r.failed),
    counter("edge_jobs_jobs_retried_total", "Retries (attempts after the first) of jobs that finished.", (r) => r.retried),
    {
      name: "edge_jobs_job_duration_seconds",
      help: "Run time, first start to finish, of jobs that completed or failed.",
      type: "histogram",
      samples: histogram(totals),
    },
    {
      name: "edge_jobs_queue_depth",
      help: "Jobs waiting (queued or retrying) that are due to run now, per priority lane.",
      type: "gauge",
      samples: laneGauges(tenants, due, (rows) => rows.reduce((n, r) => n + Number((r as Due).n), 0)),
    },
    {
      name: "edge_jobs_jobs_running",
      help: "Jobs running now, per priority lane.",
      type: "gauge",
      samples: laneGauges(tenants, running, (rows) => rows.reduce((n, r) => n + Number((r as Share["running"][number]).running ?? 0), 0)),
    },
    {
      name: "edge_jobs_oldest_queued_job_age_seconds",
      help: "How long the longest-waiting due job has waited past its start time, per priority lane; 0 when none waits.",
      type: "gauge",
      samples: laneGauges(tenants, due, (rows) => {
        const oldest = Math.min(...rows.map((r) => Number((r as Due).oldest ?? now)));
        return rows.length === 0 ? 0 : Math.max(0, (now - oldest) / 1000);
      }),
    },
    {
      name: "edge_jobs_dead_letters",
      help: "Dead letters (jobs that failed for good) kept.",
      type: "gauge",
      samples: tenants.map((t) => ({ labels: { tenant: t }, value: dead.filter((r) => r.tenant === t).reduce((n, r) => n + Number(r.n), 0) })),
    },
  ];
}
