import { type SQL, and, asc, desc, eq, gt, gte, lt, sql } from "drizzle-orm";
import type { AttemptRow, Database, JobRow } from "../db/client";
import { allFields, columnOf } from "../db/columns";
import { attempts, jobTags, jobs } from "../db/schema";
import { CREDENTIAL_HEADERS, HEADERS_KEY } from "../secrets/redact";
import { idLowerBound } from "./ids";
import { PRIORITIES, type Priority } from "./lanes";

/**
 * A tenant's jobs, newest first, for every filter through an index range: each job enters only
 * `jobs_tenant_status_id` and `jobs_tenant_type_priority_id` (see schema.ts), so a filter that is
 * not a prefix of one of them is answered as one range per value of the column before it (six
 * statuses, four priorities, the tenant's types), each read no further than the page. A search
 * (`q`) is a condition on the rows of those ranges: it reads them until the page is full.
 */

export const JOB_STATUSES = ["queued", "running", "retrying", "completed", "failed", "cancelled"] as const satisfies readonly JobRow["status"][];

export interface JobListFilter {
  status?: JobRow["status"];
  type?: string;
  priority?: Priority;
  tag?: string;
  /** Text searched for in the id, type, tags and input (see `searchCondition`). */
  q?: string;
  /** Ids at or above this (created at or after an instant). */
  fromId?: string;
  /** Ids below this (a cursor, or created before an instant). */
  belowId?: string;
  /** Ids above this (a cursor of an oldest-first page). */
  aboveId?: string;
  /** Oldest first instead of newest first. */
  ascending?: boolean;
  limit: number;
}

/**
 * The id bounds of jobs created after `createdAfter` and before `createdBefore` (ids start with
 * their creation time), and below every id of `below` (a cursor, a snapshot) as well.
 */
export function createdIdBounds(createdAfter?: string, createdBefore?: string, ...below: (string | undefined)[]): Pick<JobListFilter, "fromId" | "belowId"> {
  const upper = [createdBefore ? idLowerBound("job", Date.parse(createdBefore)) : undefined, ...below].filter((b): b is string => b !== undefined);
  return {
    fromId: createdAfter ? idLowerBound("job", Date.parse(createdAfter) + 1) : undefined,
    belowId: upper.length > 0 ? upper.reduce((a, b) => (b < a ? b : a)) : undefined,
  };
}

/** Past this many types, a priority filter is read through the status ranges instead. */
const MAX_TYPE_RANGES = 50;
const COLUMNS = allFields(jobs).text;
type Equalities = Partial<Record<"status" | "type" | "priority", string>>;
type Condition = { text: string; params: unknown[] };

/**
 * An input leaf (of `json_tree` as `t`) that views may redact: a credential member of a `headers`
 * object. Views fold the key's case as JavaScript does, which turns some non-ASCII letters (the
 * Kelvin sign) into ASCII ones; SQLite folds ASCII only, so any key with other characters counts.
 */
const REDACTED_LEAF = `t.type = 'text' AND substr(t.path, -${HEADERS_KEY.length + 1}) = '.${HEADERS_KEY}'
  AND (lower(t.key) IN (${[...CREDENTIAL_HEADERS].map((h) => `'${h}'`).join(", ")}) OR t.key GLOB '*[^ -~]*')`;

/**
 * Jobs whose id, type, a tag, or a key or scalar value of the input contains `q` (ASCII case
 * folded, as SQLite's lower() folds). The input is walked only when its text holds `q` as JSON
 * writes it. A value the views redact never matches: a search must not tell what a view hides.
 */
function searchCondition(q: string): Condition {
  const text = `(instr(lower(jobs.id), lower(?)) > 0 OR instr(lower(jobs.type), lower(?)) > 0
    OR EXISTS (SELECT 1 FROM json_each(jobs.tags) g WHERE instr(lower(g.value), lower(?)) > 0)
    OR (instr(lower(jobs.input), lower(?)) > 0 AND EXISTS (
      SELECT 1 FROM json_tree(jobs.input) t
      WHERE (typeof(t.key) = 'text' AND instr(lower(t.key), lower(?)) > 0)
        OR (instr(lower(CASE WHEN t.type IN ('true', 'false', 'null') THEN t.type ELSE t.atom END), lower(?)) > 0
          AND NOT (${REDACTED_LEAF}))
    )))`;
  return { text, params: [q, q, q, JSON.stringify(q).slice(1, -1), q, q] };
}

/** A condition's text with its parameters bound, for the query builder. */
function asDrizzle({ text, params }: Condition): SQL {
  const pieces = text.split("?");
  return sql.join(pieces.flatMap((piece, i) => (i < params.length ? [sql.raw(piece), sql`${params[i]}`] : [sql.raw(piece)])));
}

/** One index range: the tenant, `fixed` columns, the filter's other values, the id bounds. */
function range(tenant: string, filter: JobListFilter, fixed: Equalities): Condition {
  const parts = ["tenant = ?"];
  const params: unknown[] = [tenant];
  for (const field of ["status", "type", "priority"] as const) {
    const value = fixed[field] ?? filter[field];
    if (value === undefined) continue;
    parts.push(`${columnOf(jobs, field)} = ?`);
    params.push(value);
  }
  if (filter.fromId) parts.push("id >= ?"), params.push(filter.fromId);
  if (filter.belowId) parts.push("id < ?"), params.push(filter.belowId);
  if (filter.aboveId) parts.push("id > ?"), params.push(filter.aboveId);
  if (filter.q !== undefined) {
    const search = searchCondition(filter.q);
    parts.push(search.text), params.push(...search.params);
  }
  params.push(filter.limit);
  return { text: `SELECT ${COLUMNS} FROM jobs WHERE ${parts.join(" AND ")} ORDER BY id ${direction(filter)} LIMIT ?`, params };
}

function direction(filter: JobListFilter): "ASC" | "DESC" {
  return filter.ascending ? "ASC" : "DESC";
}

/** The first `limit` of several ranges (SQLite allows no LIMIT on a compound member, hence the subqueries). */
async function firstOf(d1: D1Database, ranges: Condition[], filter: JobListFilter): Promise<JobRow[]> {
  if (ranges.length === 1) return (await d1.prepare(ranges[0]!.text).bind(...ranges[0]!.params).all<JobRow>()).results;
  const text = compound(ranges.map((r) => `SELECT * FROM (${r.text})`));
  const params = ranges.flatMap((r) => r.params);
  return (await d1.prepare(`${text} ORDER BY "id" ${direction(filter)} LIMIT ?`).bind(...params, filter.limit).all<JobRow>()).results;
}

/** D1 allows five terms per compound SELECT: more are grouped into nested compounds of five. */
const MAX_COMPOUND_TERMS = 5;

function compound(terms: string[]): string {
  if (terms.length <= MAX_COMPOUND_TERMS) return terms.join(" UNION ALL ");
  const size = Math.ceil(terms.length / MAX_COMPOUND_TERMS);
  const groups = Array.from({ length: Math.ceil(terms.length / size) }, (_, i) => terms.slice(i * size, (i + 1) * size));
  return compound(groups.map((group) => `SELECT * FROM (${compound(group)})`));
}

/** The tenant's job types, each found by one seek of the type index (a loose index scan). */
async function typesOf(d1: D1Database, tenant: string): Promise<string[]> {
  const { results } = await d1
    .prepare(`
      WITH RECURSIVE t(type) AS (
        SELECT (SELECT min(type) FROM jobs WHERE tenant = ?1)
        UNION ALL
        SELECT (SELECT min(type) FROM jobs WHERE tenant = ?1 AND type > t.type) FROM t WHERE t.type IS NOT NULL LIMIT ?2
      ) SELECT type FROM t WHERE type IS NOT NULL`)
    .bind(tenant, MAX_TYPE_RANGES + 1)
    .all<{ type: string }>();
  return results.map((r) => r.type);
}

async function rangesFor(d1: D1Database, tenant: string, filter: JobListFilter): Promise<Equalities[]> {
  if (filter.status) return [{}];
  if (filter.type) return filter.priority ? [{}] : PRIORITIES.map((priority) => ({ priority }));
  if (filter.priority) {
    const types = await typesOf(d1, tenant);
    if (types.length <= MAX_TYPE_RANGES) return types.map((type) => ({ type }));
  }
  return JOB_STATUSES.map((status) => ({ status }));
}

/** A page of a tenant's jobs, newest first unless `ascending` (`limit` rows at most). */
export async function listJobs(db: Database, d1: D1Database, tenant: string, filter: JobListFilter): Promise<JobRow[]> {
  if (filter.tag) return listTagged(db, tenant, filter);
  const ranges = (await rangesFor(d1, tenant, filter)).map((fixed) => range(tenant, filter, fixed));
  return firstOf(d1, ranges, filter);
}

/** Tenant and tag come from job_tags only, so its primary key drives the page newest-first. */
async function listTagged(db: Database, tenant: string, filter: JobListFilter): Promise<JobRow[]> {
  const rows = await db
    .select({ job: jobs })
    .from(jobTags)
    .innerJoin(jobs, eq(jobs.id, jobTags.jobId))
    .where(
      and(
        eq(jobTags.tenant, tenant),
        eq(jobTags.tag, filter.tag!),
        filter.status ? eq(jobs.status, filter.status) : undefined,
        filter.type ? eq(jobs.type, filter.type) : undefined,
        filter.priority ? eq(jobs.priority, filter.priority) : undefined,
        filter.fromId ? gte(jobTags.jobId, filter.fromId) : undefined,
        filter.belowId ? lt(jobTags.jobId, filter.belowId) : undefined,
        filter.aboveId ? gt(jobTags.jobId, filter.aboveId) : undefined,
        filter.q !== undefined ? asDrizzle(searchCondition(filter.q)) : undefined,
      ),
    )
    .orderBy(filter.ascending ? asc(jobTags.jobId) : desc(jobTags.jobId))
    .limit(filter.limit);
  return rows.map((r) => r.job);
}

/**
 * A job's attempts, oldest first: those written to `attempts` when a later one replaced them, and
 * the one its row holds (the latest of its current series), unless already written.
 */
export async function listAttempts(db: Database, job: JobRow): Promise<AttemptRow[]> {
  const rows = await db.select().from(attempts).where(eq(attempts.jobId, job.id)).orderBy(asc(attempts.series), asc(attempts.attempt));
  const current = currentAttempt(job);
  if (current && !rows.some((r) => r.series === current.series && r.attempt === current.attempt)) rows.push(current);
  return rows;
}

function currentAttempt(job: JobRow): AttemptRow | undefined {
  if (job.attemptOutcome === null || job.attemptStartedAt === null || job.attempts === 0) return undefined;
  const running = job.attemptOutcome === "running";
  return {
    jobId: job.id,
    series: job.series,
    attempt: job.attempts,
    startedAt: job.attemptStartedAt,
    finishedAt: running ? null : (job.finishedAt ?? job.heartbeatAt ?? job.attemptStartedAt),
    outcome: job.attemptOutcome,
    error: job.attemptOutcome === "succeeded" || running ? null : job.error,
  };
}
