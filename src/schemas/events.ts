import { z } from "@hono/zod-openapi";
import { IsoTimestamp, nullable } from "./common";
import { ErrorInfoSchema, JobSchema, JobStatusSchema, PrioritySchema, ProgressSchema } from "./job";

/**
 * The messages of the live streams: one JSON object per websocket message, or per SSE event (whose
 * `id` is the message's `seq` and `event` its `type`). A websocket's "ping" is answered "pong".
 */

const seq = z.number().int().describe("Only grows within a stream; resume after it with `?after=` (SSE: `Last-Event-ID`).");
const attempt = z.number().int();
const { percent, stage, message } = ProgressSchema.shape;

export const JobSnapshotEventSchema = z
  .object({ type: z.literal("snapshot"), seq, job: JobSchema })
  .describe("First on a new stream: the job as it is now.")
  .openapi("JobSnapshotEvent");

export const JobProgressEventSchema = z
  .object({ type: z.literal("progress"), seq, at: IsoTimestamp, attempt, percent, stage, message })
  .openapi("JobProgressEvent");

export const JobStatusEventSchema = z
  .object({ type: z.literal("status"), seq, at: IsoTimestamp, status: JobStatusSchema, attempt, error: nullable(ErrorInfoSchema).optional() })
  .describe("The stream ends after a final status (completed, failed, cancelled).")
  .openapi("JobStatusEvent");

/** A message of GET /api/v1/jobs/{id}/events. */
export const JobEventSchema = z
  .discriminatedUnion("type", [JobSnapshotEventSchema, JobProgressEventSchema, JobStatusEventSchema])
  .openapi("JobEvent");

export const FeedReadyEventSchema = z
  .object({ type: z.literal("ready"), seq })
  .describe("Sent once the stream is live, after what a resuming subscriber missed.")
  .openapi("FeedReadyEvent");

export const FeedResetEventSchema = z
  .object({ type: z.literal("reset"), seq })
  .describe("What a resuming subscriber missed is no longer known: refetch what you show.")
  .openapi("FeedResetEvent");

export const FeedJobEventSchema = z
  .object({
    type: z.literal("job"),
    seq,
    at: IsoTimestamp,
    job: z.object({ id: z.string(), type: z.string(), status: JobStatusSchema, priority: PrioritySchema, attempt }),
  })
  .describe("A job was created or changed status.")
  .openapi("FeedJobEvent");

export const FeedProgressEventSchema = z
  .object({ type: z.literal("progress"), seq, at: IsoTimestamp, job: z.object({ id: z.string(), percent, stage, message }) })
  .describe("A running job reported progress (at most about once a second per job).")
  .openapi("FeedProgressEvent");

/** A message of GET /api/v1/events, the tenant's feed. */
export const FeedEventSchema = z
  .discriminatedUnion("type", [FeedReadyEventSchema, FeedResetEventSchema, FeedJobEventSchema, FeedProgressEventSchema])
  .openapi("FeedEvent");

export type JobEventMessage = z.infer<typeof JobEventSchema>;
export type FeedEventMessage = z.infer<typeof FeedEventSchema>;

/**
 * A stream's 200 answer as SSE. OpenAPI 3.1 has no field for the schema of each event (3.2's
 * `itemSchema`), so the event's schema is named in `x-itemSchema` and in the description.
 */
export function eventStreamContent(description: string, event: "JobEvent" | "FeedEvent") {
  const schema = z.string().openapi({
    description: `Server-Sent Events: \`id: <seq>\`, \`event: <type>\`, \`data: <one ${event} as JSON>\`, after a \`: watching\` comment.`,
  });
  return { description, content: { "text/event-stream": { schema, "x-itemSchema": { $ref: `#/components/schemas/${event}` } } } };
}
