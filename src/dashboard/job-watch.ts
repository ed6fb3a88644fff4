import { useEffect, useRef, useState } from "preact/hooks";
import { type LinkState, watchJob } from "./live";
import type { Job, JobEvent } from "./types";

/** How many events a page keeps to show. */
const KEPT_EVENTS = 200;

/**
 * Watches one job's event stream while mounted (and again when `generation` changes, e.g. after a
 * retry reopened a finished job). `onEvent` sees every event; the events are kept to be shown.
 */
export function useJobEvents(jobId: string | undefined, onEvent: (event: JobEvent) => void, generation = 0) {
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [state, setState] = useState<LinkState>("connecting");
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!jobId) return;
    setEvents([]);
    return watchJob(
      jobId,
      (event) => {
        handler.current(event);
        setEvents((kept) => [...kept, event].slice(-KEPT_EVENTS));
      },
      setState,
    );
  }, [jobId, generation]);
  return { events, state };
}

/** A job as its events change it: progress, status and attempt. */
export function applyJobEvent(job: Job, event: JobEvent): Job {
  switch (event.type) {
    case "snapshot":
      return event.job;
    case "progress":
      return { ...job, progress: { percent: event.percent, stage: event.stage, message: event.message } };
    case "status":
      return {
        ...job,
        status: event.status,
        attempts: event.attempt ?? job.attempts,
        error: event.error ?? (event.status === "completed" ? null : job.error),
        startedAt: job.startedAt ?? (event.status === "running" ? event.at : null),
        finishedAt: ["completed", "failed", "cancelled"].includes(event.status) ? event.at : null,
      };
  }
}

/** A job watched on its own: its latest state from the stream alone. */
export function useWatchedJob(jobId: string | undefined) {
  const [job, setJob] = useState<Job>();
  const watch = useJobEvents(jobId, (event) => setJob((current) => (event.type === "snapshot" || current ? applyJobEvent(current!, event) : current)));
  return { job, ...watch };
}
