import { and, count, eq, gte, inArray, lt, ne } from "drizzle-orm";
import { database } from "../db/client";
import { jobTags, jobs } from "../db/schema";
import { DomainError } from "../errors";
import { cancelJob, requeueJob } from "./control";
import { type JobListFilter, createdIdBounds, listJobs } from "./job-list";
import { BULK_ACTIONS, BULK_BATCH, type BulkAction, type BulkFilter, bulkStatuses } from "../schemas/bulk";

/** Which jobs: named ones, or every job matching a filter that existed when the action was asked for. */
export interface BulkSelection {
  ids?: string[];
  filter?: BulkFilter;
  /** Jobs with ids at or above this were created after the request: left alone. */
  before?: string;
  /** The bulk action's own job, which a filter may match (a cancel of running jobs): never acted on. */
  except?: string;
}

/** Where a bulk action has got to: the index of its status (or of its next id) and the last id done. */
export interface BulkPosition {
  at: number;
  cursor?: string;
}

export interface BulkBatchOutcome {
  changed: number;
  skipped: number;
  /** Why some jobs were left as they were (the first few of this batch). */
  skips: { id: string; reason: string }[];
  next?: BulkPosition;
}

function listFilter(filter: BulkFilter, before: string | undefined): Omit<JobListFilter, "limit"> {
  return { type: filter.type, priority: filter.priority, tag: filter.tag, ...createdIdBounds(filter.createdAfter, filter.createdBefore, before) };
}

/** How many jobs the action would change now: the count a confirmation shows. */
export async function countBulk(env: Env, tenant: string, action: BulkAction, selection: BulkSelection): Promise<number> {
  const db = database(env);
  const statuses = selection.filter ? bulkStatuses(action, selection.filter) : [...BULK_ACTIONS[action]];
  const except = selection.except ? ne(jobs.id, selection.except) : undefined;
  if (selection.ids) {
    const row = await db.select({ n: count() }).from(jobs)
      .where(and(eq(jobs.tenant, tenant), inArray(jobs.id, selection.ids), inArray(jobs.status, statuses), except)).get();
    return row!.n;
  }
  const filter = listFilter(selection.filter!, selection.before);
  const where = and(
    eq(jobs.tenant, tenant),
    inArray(jobs.status, statuses),
    filter.type ? eq(jobs.type, filter.type) : undefined,
    filter.priority ? eq(jobs.priority, filter.priority) : undefined,
    filter.fromId ? gte(jobs.id, filter.fromId) : undefined,
    filter.belowId ? lt(jobs.id, filter.belowId) : undefined,
    except,
  );
  if (!filter.tag) return (await db.select({ n: count() }).from(jobs).where(where).get())!.n;
  const tagged = await db.select({ n: count() }).from(jobTags).innerJoin(jobs, eq(jobs.id, jobTags.jobId))
    .where(and(eq(jobTags.tenant, tenant), eq(jobTags.tag, filter.tag), where)).get();
  return tagged!.n;
}

/** The next batch of jobs from `position`, and the position after it (none when done). */
async function nextBatch(env: Env, tenant: string, action: BulkAction, selection: BulkSelection, position: BulkPosition) {
  if (selection.ids) {
    const ids = selection.ids.slice(position.at, position.at + BULK_BATCH);
    const end = position.at + ids.length;
    return { ids, next: end < selection.ids.length ? { at: end } : undefined };
  }
  const statuses = bulkStatuses(action, selection.filter!);
  const status = statuses[position.at];
  if (status === undefined) return { ids: [], next: undefined };
  const base = listFilter(selection.filter!, selection.before);
  const belowId = position.cursor ?? base.belowId;
  const rows = await listJobs(database(env), env.DB, tenant, { ...base, status, belowId, limit: BULK_BATCH });
  const ids = rows.map((r) => r.id);
  const more = rows.length === BULK_BATCH;
  const next = more ? { at: position.at, cursor: ids.at(-1)! } : position.at + 1 < statuses.length ? { at: position.at + 1 } : undefined;
  return { ids, next };
}

const MAX_SKIPS_REPORTED = 20;

/** Applies the action to the next batch of the selection, job by job through the engine's own transitions. */
export async function bulkBatch(env: Env, tenant: string, action: BulkAction, selection: BulkSelection, position: BulkPosition): Promise<BulkBatchOutcome> {
  const { ids, next } = await nextBatch(env, tenant, action, selection, position);
  const db = database(env);
  const outcome: BulkBatchOutcome = { changed: 0, skipped: 0, skips: [], ...(next ? { next } : {}) };
  for (const id of ids.filter((i) => i !== selection.except)) {
    try {
      await (action === "cancel" ? cancelJob(env, db, tenant, id) : requeueJob(env, db, tenant, id));
      outcome.changed += 1;
    } catch (err) {
      // A job that finished, moved or never was this tenant's meanwhile is left as it is.
      if (!(err instanceof DomainError)) throw err;
      outcome.skipped += 1;
      if (outcome.skips.length < MAX_SKIPS_REPORTED) outcome.skips.push({ id, reason: err.message });
    }
  }
  return outcome;
}
