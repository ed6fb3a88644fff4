// What the dashboard reads from the API. Jobs, attempts, logs and the stats' parts are the worker's
// own zod schemas (types only: nothing of the worker is bundled). The other shapes are declared in
// route files the browser cannot import, or are still being extended, so they are typed here as the
// fields the pages read, each optional where a page renders without it.
import type { z } from "@hono/zod-openapi";
import type { AttemptSchema, Job, JobLogSchema, JobStatusSchema, PrioritySchema } from "../schemas/job";
import type { Durations, StatsHistory, StatsWindow, WindowCounts } from "../schemas/stats";

export type { Job };
export type JobStatus = z.infer<typeof JobStatusSchema>;
export type Priority = z.infer<typeof PrioritySchema>;
export type Attempt = z.infer<typeof AttemptSchema>;
export type JobLog = z.infer<typeof JobLogSchema>;

export const JOB_STATUSES: readonly JobStatus[] = ["queued", "running", "retrying", "completed", "failed", "cancelled"];
export const FINAL_STATUSES: readonly JobStatus[] = ["completed", "failed", "cancelled"];
export const PRIORITIES: readonly Priority[] = ["critical", "high", "normal", "low"];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The body of GET/POST /api/v1/session. */
export interface Session {
  tenant: string;
  scopes: string[];
  admin: boolean;
  /** An admin session not switched to a tenant: platform-wide views. */
  platform?: boolean;
  csrfToken: string;
  expiresAt: string;
}

export interface Lane {
  lane: Priority;
  paused: boolean;
  depth: number;
  scheduled: number;
  inFlight: number;
}

export interface Lanes {
  scope: "tenant" | "platform";
  items: Lane[];
}

export type HistoryWindow = StatsWindow;
export type History = StatsHistory;
/** A window's finishes; `lastHour` (the older field) has no failure rate. */
export type WindowFinishes = Omit<WindowCounts, "failureRate"> & { failureRate?: number | null };

export interface Stats {
  byStatus?: Record<string, number>;
  total?: number;
  successRate?: number | null;
  durationMs?: Durations;
  lastHour?: WindowFinishes;
  windows?: Partial<Record<HistoryWindow, WindowCounts>>;
  durationByType?: Record<string, Durations>;
  stuck?: number;
}

export interface DeadLetter {
  job: Job;
  failedAt: string;
  error: Job["error"];
}

export interface BatchItem {
  index: number;
  status: "pending" | "succeeded" | "failed" | "cancelled";
  input: unknown;
  result: unknown;
  error: Job["error"];
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
}

export type BulkAction = "cancel" | "retry";
export interface BulkFilter {
  status?: JobStatus;
  type?: string;
  priority?: Priority;
  tag?: string;
  createdAfter?: string;
  createdBefore?: string;
}
export type BulkRequest = { action: BulkAction; ids: string[] } | { action: BulkAction; filter: BulkFilter };

/** Messages of one job's event stream (/api/v1/jobs/{id}/events). */
export type JobEvent =
  | { type: "snapshot"; seq: number; job: Job }
  | { type: "progress"; seq: number; attempt: number; percent: number; stage: string | null; message: string | null; at: string }
  | { type: "status"; seq: number; status: JobStatus; attempt: number; error: Job["error"] | null; at: string };

/** Messages of the tenant-wide feed (/api/v1/events). */
export type FeedEvent =
  | { type: "ready"; seq: number }
  | { type: "job"; seq: number; at: string; job: { id: string; type: string; status: JobStatus; attempt: number; priority: Priority } }
  | { type: "progress"; seq: number; at: string; job: { id: string; percent: number; stage: string | null; message: string | null } }
  | { type: "reset" };
