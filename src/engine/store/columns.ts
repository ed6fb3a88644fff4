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

/** What a claim hands a runner: the job as it starts this attempt, `attempt` being its number. */
const CLAIMED_FIELDS = [
  "id", "tenant", "type", "priority", "input", "maxAttempts", "timeoutMs", "backoff",
  "durable", "series", "watched", "claimToken", "gated",
] as const satisfies readonly JobField[];

export const CLAIMED_LIST = new SqlText(`${jobFields(CLAIMED_FIELDS)}, jobs.${jobColumn("attempts")} AS "attempt"`);

export type ClaimedJob = Pick<JobRow, (typeof CLAIMED_FIELDS)[number]> & { claimToken: string; attempt: JobRow["attempts"] };

/** What a queue message needs of a job: its lane and when it is due. */
export const DISPATCHABLE = new SqlText(jobFields(["id", "priority", "runAt"]));

/** What every transition answers for each job it moved: enough to tell subscribers and free slots. */
export const MOVED_FIELDS = ["id", "status", "attempts", "watched", "gated", "error"] as const satisfies readonly JobField[];

export const MOVED_LIST = new SqlText(jobFields(MOVED_FIELDS));

export type MovedJob = Pick<JobRow, (typeof MOVED_FIELDS)[number]>;
