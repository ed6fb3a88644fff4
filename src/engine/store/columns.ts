import { getTableColumns } from "drizzle-orm";
import { SqlText } from "../../db/raw";
import { jobs } from "../../db/schema";

import type { JobRow } from "../../db/client";

/** A job row as drizzle reads it: the one row type of the store. */
export type { JobRow };
type JobField = keyof JobRow;

const JOB_COLUMNS = getTableColumns(jobs);

/** The SQL name of a job field, from the drizzle schema. */
export function jobColumn(field: JobField): string {
  return JOB_COLUMNS[field].name;
}

/**
 * A select (or RETURNING) list naming each field's column as the field, for the raw statements
 * drizzle cannot say (bulk `jsonb_each` updates): `table.max_attempts AS "maxAttempts"`. Rows
 * come back shaped as `Pick<JobRow, …>` of the same fields.
 */
export function jobFields(fields: readonly JobField[], table = "jobs"): string {
  return fields.map((f) => `${table}.${jobColumn(f)} AS "${f}"`).join(", ");
}

/** What a claim hands a runner: the job as it starts this attempt, `attempt` being its number. */
const CLAIMED_FIELDS = [
  "id", "tenant", "type", "priority", "input", "maxAttempts", "timeoutMs", "backoff",
  "durable", "series", "watched", "claimToken", "gated",
] as const satisfies readonly JobField[];

export const CLAIMED_LIST = new SqlText(`${jobFields(CLAIMED_FIELDS)}, jobs.${jobColumn("attempts")} AS "attempt"`);

export type ClaimedJob = Pick<JobRow, (typeof CLAIMED_FIELDS)[number]> & { claimToken: string; attempt: JobRow["attempts"] };

/** What every transition answers for each job it moved: enough to tell subscribers and free slots. */
export const MOVED_FIELDS = ["id", "status", "attempts", "watched", "gated", "error"] as const satisfies readonly JobField[];

export const MOVED_LIST = new SqlText(jobFields(MOVED_FIELDS));

export type MovedJob = Pick<JobRow, (typeof MOVED_FIELDS)[number]>;
