import type { z } from "zod";
import type { JobProgressEventSchema, JobStatusEventSchema } from "../schemas/events";

/** An event as its publisher sends it: the Durable Object adds `seq`, and `at` (when it happened) where missing. */
type Published<T> = Omit<T, "seq" | "at"> & { at?: string };

/** What a job's subscribers are told (src/schemas/events.ts has the messages as they go out). */
export type JobEvent = Published<z.infer<typeof JobProgressEventSchema>> | Published<z.infer<typeof JobStatusEventSchema>>;

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
