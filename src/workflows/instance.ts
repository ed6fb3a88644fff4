import type { ClaimedJob } from "../engine/store/columns";

/** A job's Workflow instance for one attempt series; a replay or manual retry starts a new series. */
export function workflowInstanceId(jobId: string, series: number): string {
  return `${jobId}-s${series}`;
}

/** What the Workflow needs of its job; passed in the params when small, else read in a step. */
export type DurableJobSnapshot = Pick<ClaimedJob, "tenant" | "type" | "input" | "attempt" | "maxAttempts" | "timeoutMs" | "backoff" | "priority" | "watched">
  & { gated?: number };

export interface DurableJobParams {
  jobId: string;
  series: number;
  claimToken: string;
  /** The D1 binding that holds the job (src/db/shards.ts); instances made before sharding name none. */
  db?: string;
  job?: DurableJobSnapshot;
  /** Set on the instance a cancel creates to keep the id from the job's own (see `stopWorkflow`). */
  cancelled?: boolean;
}

/** Inputs up to this size travel in the instance params, saving a Workflow step per job. */
export const INLINE_INPUT_LIMIT = 16 * 1024;
