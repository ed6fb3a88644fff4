import type { ErrorInfo } from "./errors";

/**
 * What a job's subscribers are told. `at` is when it happened (the publisher stamps it; the
 * Durable Object fills it in when missing) and the object adds `seq`.
 */
export type JobEvent = (
  | { type: "progress"; attempt: number; percent: number; stage: string | null; message: string | null }
  | { type: "status"; status: string; attempt: number; error?: ErrorInfo | null }
) & { at?: string };

export type ProgressEvent = Extract<JobEvent, { type: "progress" }>;

export const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export function jobEvents(env: Env, jobId: string) {
  return env.JOB_EVENTS.getByName(jobId);
}

/** Sends events to the job's Durable Object, which fans them out to every subscriber. */
export async function publish(env: Env, jobId: string, events: JobEvent[]): Promise<void> {
  await jobEvents(env, jobId).publish(events);
}

/** Publishing is best effort for the caller: D1 already holds the state, the object only relays it. */
export async function publishAll(env: Env, items: { jobId: string; events: JobEvent[] }[]): Promise<void> {
  const results = await Promise.allSettled(items.map((i) => publish(env, i.jobId, i.events)));
  for (const r of results) if (r.status === "rejected") console.error("publishing job events failed", r.reason);
}
