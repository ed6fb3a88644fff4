import { columnOf, fieldList } from "../../db/columns";
import type { JobRow } from "../../db/client";
import { SqlText } from "../../db/raw";
import { jobs } from "../../db/schema";

/** A job row as drizzle reads it: the one row type of the store. */
export type { JobRow };
type JobField = keyof JobRow;

/** The SQL name of a job field, from the drizzle schema. */
export function jobColumn(field: JobField): string {
  return columnOf(jobs, field);
}

/** A select (or RETURNING) list of job fields, each column named as its field (see `fieldList`). */
export function jobFields(fields: readonly JobField[], table = "jobs"): string {
  return fieldList(jobs, fields, table).text;
}

/**
 * Whether the job's tenant has a live feed with subscribers (src/durable/tenant-feed.ts), asked
 * alongside every write that moves a job, so a tenant nobody watches costs no extra round trip and
 * no publish. `now` is SQL for the current time in ms.
 */
export function feedFlag(tenant = "jobs.tenant", now = "unixepoch() * 1000"): string {
  return `${FEED_WATCHED(tenant, now)} AS "feed"`;
}

/** `feedFlag` without its name, for drizzle's `returning`. */
export const FEED_WATCHED = (tenant = "jobs.tenant", now = "unixepoch() * 1000") =>
  `EXISTS (SELECT 1 FROM tenant_feeds f WHERE f.tenant = ${tenant} AND f.until > ${now})`;

/** Set by `feedFlag`: 1 when the tenant's feed has subscribers. */
export interface FeedFlag {
  feed: number;
}

/**
 * Whether the job's tenant has a webhook (src/webhooks/), asked alongside the writes that
 * move a job to a status webhooks deliver, so a tenant without webhooks costs no extra round trip.
 */
export const HAS_WEBHOOKS = (tenant = "jobs.tenant") =>
  `EXISTS (SELECT 1 FROM webhooks w WHERE w.tenant = ${tenant})`;

/** Set by `HAS_WEBHOOKS` on the rows a transition moved. */
export interface HookFlag {
  hooked: number;
}

/** What a claim hands a runner: the job as it starts this attempt, `attempt` being its number. */
const CLAIMED_FIELDS = [
  "id", "tenant", "type", "priority", "input", "maxAttempts", "timeoutMs", "backoff",
  "durable", "series", "watched", "claimToken", "gated",
] as const satisfies readonly JobField[];

export const CLAIMED_LIST = new SqlText(`${jobFields(CLAIMED_FIELDS)}, jobs.${jobColumn("attempts")} AS "attempt", ${feedFlag()}`);

export type ClaimedJob = Pick<JobRow, (typeof CLAIMED_FIELDS)[number]> & FeedFlag & { claimToken: string; attempt: JobRow["attempts"] };

/** What a queue message needs of a job: its lane and when it is due. */
export const DISPATCHABLE = new SqlText(jobFields(["id", "priority", "runAt"]));

/** What every transition answers for each job it moved: enough to tell subscribers and free slots. */
export const MOVED_FIELDS = [
  "id", "tenant", "type", "priority", "status", "attempts", "watched", "gated", "error",
] as const satisfies readonly JobField[];

export const MOVED_LIST = new SqlText(`${jobFields(MOVED_FIELDS)}, ${feedFlag()}, ${HAS_WEBHOOKS()} AS "hooked"`);

export type MovedJob = Pick<JobRow, (typeof MOVED_FIELDS)[number]> & FeedFlag & HookFlag;
