import { iso } from "../engine/job-view";

export type ExportSource = "jobs" | "reports" | "dataset";
export type ExportRecord = Record<string, unknown>;

export interface JobFilters {
  status?: string;
  type?: string;
  createdAfter?: string;
  createdBefore?: string;
}

export interface SourceSpec {
  source: ExportSource;
  dataset?: string;
  filters?: JobFilters;
}

export interface Page {
  records: ExportRecord[];
  /** The sort key of the last record, to continue after. */
  cursor: string | null;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** The columns of a CSV export, in order. */
export async function columnsOf(env: Env, tenant: string, spec: SourceSpec): Promise<string[]> {
  if (spec.source === "jobs") {
    return ["id", "type", "status", "priority", "attempts", "maxAttempts", "tags", "createdAt", "startedAt", "finishedAt", "error", "input", "result"];
  }
  if (spec.source === "reports") return ["id", "name", "latestVersion", "createdAt", "updatedAt"];
  const row = await env.DB.prepare("SELECT schema FROM datasets WHERE tenant = ? AND name = ?").bind(tenant, spec.dataset).first<{ schema: string }>();
  if (!row) throw new Error(`dataset ${spec.dataset} not found`);
  return ["key", ...(JSON.parse(row.schema) as { fields: { name: string }[] }).fields.map((f) => f.name)];
}

export async function datasetExists(env: Env, tenant: string, name: string): Promise<boolean> {
  return (await env.DB.prepare("SELECT 1 FROM datasets WHERE tenant = ? AND name = ?").bind(tenant, name).first()) !== null;
}

function jobFilterSql(filters: JobFilters | undefined) {
  const where: string[] = [];
  const binds: unknown[] = [];
  if (filters?.status) (where.push("status = ?"), binds.push(filters.status));
  if (filters?.type) (where.push("type = ?"), binds.push(filters.type));
  if (filters?.createdAfter) (where.push("created_at >= ?"), binds.push(Date.parse(filters.createdAfter)));
  if (filters?.createdBefore) (where.push("created_at < ?"), binds.push(Date.parse(filters.createdBefore)));
  return { where: where.map((w) => ` AND ${w}`).join(""), binds };
}

/** How many records the export will have (for progress). */
export async function countOf(env: Env, tenant: string, spec: SourceSpec): Promise<number> {
  if (spec.source === "jobs") {
    const f = jobFilterSql(spec.filters);
    return (await env.DB.prepare(`SELECT count(*) AS n FROM jobs WHERE tenant = ?${f.where}`).bind(tenant, ...f.binds).first<{ n: number }>())!.n;
  }
  if (spec.source === "reports") {
    return (await env.DB.prepare("SELECT count(*) AS n FROM reports WHERE tenant = ?").bind(tenant).first<{ n: number }>())!.n;
  }
  return (await env.DB.prepare("SELECT count(*) AS n FROM dataset_rows WHERE tenant = ? AND dataset = ?").bind(tenant, spec.dataset).first<{ n: number }>())!.n;
}

/** The next `limit` records after `cursor`, in key order. */
export async function pageOf(env: Env, tenant: string, spec: SourceSpec, cursor: string | null, limit: number): Promise<Page> {
  if (spec.source === "jobs") {
    const f = jobFilterSql(spec.filters);
    const { results } = await env.DB.prepare(
      `SELECT id, type, status, priority, attempts, max_attempts AS maxAttempts, tags, created_at AS createdAt, started_at AS startedAt,
              finished_at AS finishedAt, error, input, result
       FROM jobs WHERE tenant = ? AND id > ?${f.where} ORDER BY id LIMIT ?`,
    )
      .bind(tenant, cursor ?? "", ...f.binds, limit)
      .all<Record<string, any>>();
    const records = results.map((r) => ({
      ...r,
      tags: JSON.parse(r.tags),
      createdAt: iso(r.createdAt),
      startedAt: isoOrNull(r.startedAt),
      finishedAt: isoOrNull(r.finishedAt),
      error: r.error === null ? null : (JSON.parse(r.error) as { message: string }).message,
      input: JSON.parse(r.input),
      result: r.result === null ? null : JSON.parse(r.result),
    }));
    return { records, cursor: results.at(-1)?.id ?? null };
  }
  if (spec.source === "reports") {
    const { results } = await env.DB.prepare(
      `SELECT id, name, latest_version AS latestVersion, created_at AS createdAt, updated_at AS updatedAt
       FROM reports WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`,
    )
      .bind(tenant, cursor ?? "", limit)
      .all<Record<string, any>>();
    return {
      records: results.map((r) => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) })),
      cursor: results.at(-1)?.id ?? null,
    };
  }
  const { results } = await env.DB.prepare(
    "SELECT key, data FROM dataset_rows WHERE tenant = ? AND dataset = ? AND key > ? ORDER BY key LIMIT ?",
  )
    .bind(tenant, spec.dataset, cursor ?? "", limit)
    .all<{ key: string; data: string }>();
  return { records: results.map((r) => ({ key: r.key, ...JSON.parse(r.data) })), cursor: results.at(-1)?.key ?? null };
}
