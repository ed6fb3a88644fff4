import { z } from "@hono/zod-openapi";
import { BackoffSchema } from "../engine/retry";
import { IsoTimestamp } from "./common";

/** The job events a webhook can subscribe to (a `ping` is sent by POST /webhooks/{id}/ping). */
export const WEBHOOK_EVENTS = ["job.completed", "job.failed", "job.dead_lettered", "job.retrying", "job.cancelled"] as const;

export const DEFAULT_WEBHOOK_ATTEMPTS = 6;
export const DEFAULT_PAUSE_AFTER = 10;

const WebhookEvent = z.enum(WEBHOOK_EVENTS).openapi("WebhookEvent");

const FilterSchema = z
  .object({
    types: z.array(z.string().min(1).max(100)).min(1).max(50).optional().describe("Only jobs of these types."),
    tags: z.array(z.string().min(1).max(64)).min(1).max(50).optional().describe("Only jobs carrying one of these tags."),
  })
  .strict();

const RetrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20).default(DEFAULT_WEBHOOK_ATTEMPTS),
    backoff: BackoffSchema.partial().optional(),
  })
  .strict();

const Fields = {
  url: z.url({ protocol: /^https?$/ }).max(2_048).describe("Each event is POSTed here, signed; https in production."),
  events: z.array(WebhookEvent).min(1).max(WEBHOOK_EVENTS.length),
  filter: FilterSchema.optional(),
  description: z.string().max(500).optional(),
  retry: RetrySchema.optional(),
  pauseAfterFailures: z.number().int().min(1).max(100).optional()
    .describe("Paused once this many deliveries in a row used up their attempts (default 10)."),
};

export const CreateWebhookSchema = z.object(Fields).strict().openapi("CreateWebhook");
export type CreateWebhook = z.infer<typeof CreateWebhookSchema>;

export const UpdateWebhookSchema = z
  .object({
    ...Fields,
    url: Fields.url.optional(),
    events: Fields.events.optional(),
    filter: FilterSchema.nullable().optional(),
    description: z.string().max(500).nullable().optional(),
    status: z.enum(["active", "paused"]).optional().describe("`active` resumes a paused webhook and sends the deliveries it held."),
  })
  .strict()
  .openapi("UpdateWebhook");
export type UpdateWebhook = z.infer<typeof UpdateWebhookSchema>;

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(WebhookEvent),
    filter: z.object({ types: z.array(z.string()).nullable(), tags: z.array(z.string()).nullable() }),
    status: z.enum(["active", "paused"]),
    pausedReason: z.string().nullable(),
    failures: z.number().int().describe("Deliveries in a row that used up their attempts."),
    pauseAfterFailures: z.number().int(),
    retry: z.object({ maxAttempts: z.number().int(), backoff: BackoffSchema }),
    previousSecretExpiresAt: IsoTimestamp.nullable(),
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
  })
  .openapi("Webhook");
export type WebhookView = z.infer<typeof WebhookSchema>;

export const CreatedWebhookSchema = z.object({ webhook: WebhookSchema, secret: z.string() }).openapi("CreatedWebhook");

export const WebhookSecretSchema = z
  .object({ secret: z.string().describe("Shown only now."), previousSecretExpiresAt: IsoTimestamp.nullable() })
  .openapi("WebhookSecret");

export const DeliverySchema = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    event: z.string(),
    jobId: z.string().nullable(),
    status: z.enum(["pending", "retrying", "delivered", "failed"]),
    attempts: z.number().int(),
    nextAttemptAt: IsoTimestamp.nullable(),
    responseStatus: z.number().int().nullable().describe("The receiver's status code at the last attempt (null: no answer)."),
    error: z.string().nullable(),
    durationMs: z.number().int().nullable(),
    createdAt: IsoTimestamp,
    finishedAt: IsoTimestamp.nullable(),
  })
  .openapi("WebhookDelivery");

export const DeliveryDetailSchema = DeliverySchema.extend({ payload: z.unknown().describe("The event's `data`, as sent.") })
  .openapi("WebhookDeliveryDetail");

export const DeliveryQuery = z.object({
  status: z.enum(["pending", "retrying", "delivered", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(300).optional(),
});
