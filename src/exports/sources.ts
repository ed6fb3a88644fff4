import { type SQL, type Table, and, asc, count, eq, getTableColumns, gt, gte, lt } from "drizzle-orm";
import { database } from "../db/client";
import { datasetRows, datasets, jobs, reports } from "../db/schema";
import { idLowerBound } from "../engine/ids";
import { type JobListFilter, listJobs } from "../engine/job-list";
import { iso } from "../engine/job-view";
import { viewOfInput } from "../secrets/redact";

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

/** The job fields a jobs export has, in order: its CSV columns. */
const JOB_FIELDS = ["id", "type", "status", "priority", "attempts", "maxAttempts", "tags", "createdAt", "startedAt", "finishedAt", "error", "input", "result"] as const;
/** The report fields a reports export has, in order. */
const REPORT_FIELDS = ["id", "name", "latestVersion", "createdAt", "updatedAt"] as const;

/** The columns of a CSV export, in order. */
export async function columnsOf(env: Env, tenant: string, spec: SourceSpec): Promise<string[]> {
  if (spec.source === "jobs") return [...JOB_FIELDS];
  if (spec.source === "reports") return [...REPORT_FIELDS];
  const row = await database(env)
    .select({ schema: datasets.schema })
    .from(datasets)
    .where(and(eq(datasets.tenant, tenant), eq(datasets.name, spec.dataset!)))
    .get();
  if (!row) throw new Error(`dataset ${spec.dataset} not found`);
  return ["key", ...(JSON.parse(row.schema) as { fields: { name: string }[] }).fields.map((f) => f.name)];
}

export async function datasetExists(env: Env, tenant: string, name: string): Promise<boolean> {
  const row = await database(env)
    .select({ name: datasets.name })
    .from(datasets)
    .where(and(eq(datasets.tenant, tenant), eq(datasets.name, name)))
    .get();
  return row !== undefined;
}

/** The export's job filters as a list filter: created-at bounds become id bounds (ids start with their creation time). */
function jobListFilter(filters: JobFilters | undefined): Omit<JobListFilter, "limit"> {
  return {
    status: filters?.status as JobListFilter["status"],
    type: filters?.type,
    fromId: filters?.createdAfter ? idLowerBound("job", Date.parse(filters.createdAfter)) : undefined,
    belowId: filters?.createdBefore ? idLowerBound("job", Date.parse(filters.createdBefore)) : undefined,
  };
}

function jobFilters(tenant: string, filters: JobFilters | undefined): SQL | undefined {
  const { status, type, fromId, belowId } = jobListFilter(filters);
  return and(
    eq(jobs.tenant, tenant),
    status ? eq(jobs.status, status) : undefined,
    type ? eq(jobs.type, type) : undefined,
    fromId ? gte(jobs.id, fromId) : undefined,
    belowId ? lt(jobs.id, belowId) : undefined,
  );
}

/** How many records the export will have (for progress). */
export async function countOf(env: Env, tenant: string, spec: SourceSpec): Promise<number> {
  const db = database(env);
  const where =
    spec.source === "jobs"
      ? { table: jobs, on: jobFilters(tenant, spec.filters) }
      : spec.source === "reports"
        ? { table: reports, on: eq(reports.tenant, tenant) }
        : { table: datasetRows, on: and(eq(datasetRows.tenant, tenant), eq(datasetRows.dataset, spec.dataset!)) };
  const row = await db.select({ n: count() }).from(where.table).where(where.on).get();
  return row!.n;
}

/** A select of some of `table`'s columns, each under its field name. */
function columnsFor<T extends Table, K extends keyof T["_"]["columns"] & string>(table: T, fields: readonly K[]) {
  const columns = getTableColumns(table);
  return Object.fromEntries(fields.map((f) => [f, columns[f]])) as Pick<T["_"]["columns"], K>;
}

/** The next `limit` records after `cursor`, in key order. */
export async function pageOf(env: Env, tenant: string, spec: SourceSpec, cursor: string | null, limit: number): Promise<Page> {
  const db = database(env);
  if (spec.source === "jobs") {
    const filter = { ...jobListFilter(spec.filters), aboveId: cursor ?? undefined, ascending: true, limit };
    const results = await listJobs(db, env.DB, tenant, filter);
    const records = results.map((r) => ({
      ...Object.fromEntries(JOB_FIELDS.map((f) => [f, r[f]])),
      tags: JSON.parse(r.tags),
      createdAt: iso(r.createdAt),
      startedAt: isoOrNull(r.startedAt),
      finishedAt: isoOrNull(r.finishedAt),
      error: r.error === null ? null : (JSON.parse(r.error) as { message: string }).message,
      input: viewOfInput(r.input),
      result: r.result === null ? null : JSON.parse(r.result),
    }));
    return { records, cursor: results.at(-1)?.id ?? null };
  }
  if (spec.source === "reports") {
    const results = await db
      .select(columnsFor(reports, REPORT_FIELDS))
      .from(reports)
      .where(and(eq(reports.tenant, tenant), gt(reports.id, cursor ?? "")))
      .orderBy(asc(reports.id))
      .limit(limit);
    return {
      records: results.map((r) => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) })),
      cursor: results.at(-1)?.id ?? null,
    };
  }
  const results = await db
    .select({ key: datasetRows.key, data: datasetRows.data })
    .from(datasetRows)
    .where(and(eq(datasetRows.tenant, tenant), eq(datasetRows.dataset, spec.dataset!), gt(datasetRows.key, cursor ?? "")))
    .orderBy(asc(datasetRows.key))
    .limit(limit);
  return { records: results.map((r) => ({ key: r.key, ...JSON.parse(r.data) })), cursor: results.at(-1)?.key ?? null };
}
