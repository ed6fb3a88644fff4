/** A job's Workflow instance for one attempt series; a replay or manual retry starts a new series. */
export function workflowInstanceId(jobId: string, series: number): string {
  return `${jobId}-s${series}`;
}

export interface DurableJobParams {
  jobId: string;
  series: number;
  claimToken: string;
}
