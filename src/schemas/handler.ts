import { z } from "@hono/zod-openapi";
import { BackoffSchema } from "../engine/retry";
import { IsoTimestamp, nullable } from "./common";
import { MAX_TIMEOUT_MS } from "./job";
import { RateLimitRuleInput } from "./rate-limit";

/** The longest time limit a handler's attempt may have: it waits for callbacks without holding a consumer. */
export const MAX_HANDLER_TIMEOUT_MS = 24 * 3_600_000;
export const DEFAULT_HANDLER_TIMEOUT_MS = 60_000;
export const DEFAULT_HANDLER_ATTEMPTS = 3;
/** The longest one call to a handler may take before it must answer (202 for longer work). */
export const MAX_HANDLER_REQUEST_MS = MAX_TIMEOUT_MS;

export const HandlerType = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/, "lowercase letters and digits, words joined by . _ or -")
  .openapi({ example: "acme.send-invoice" });

const InputJsonSchema = z
  .union([z.record(z.string(), z.unknown()), z.boolean()])
  .describe("A JSON Schema (draft 2020-12) each job's input is validated against at submit; absent: any JSON object.")
  .openapi({ example: { type: "object", required: ["invoiceId"], properties: { invoiceId: { type: "string" } } } });

const RetrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).default(DEFAULT_HANDLER_ATTEMPTS),
    backoff: BackoffSchema.partial().optional(),
  })
  .strict();

const ConcurrencySchema = z
  .object({ limit: z.number().int().min(1).max(1_000).describe("At most this many of the type's jobs run at once, per tenant.") })
  .strict();

const HandlerFields = {
  url: z.url({ protocol: /^https?$/ }).max(2_048).describe("Called with a signed POST for each attempt; https in production."),
  description: z.string().max(500).optional(),
  inputSchema: InputJsonSchema.optional(),
  retry: RetrySchema.optional(),
  timeoutMs: z.number().int().min(1_000).max(MAX_HANDLER_TIMEOUT_MS).optional()
    .describe("Each attempt's time limit, callbacks included (default 60 s); a call itself must be answered within 15 minutes."),
  concurrency: ConcurrencySchema.nullable().optional(),
  rateLimit: RateLimitRuleInput.nullable().optional().describe("The default rate limit on submitting the type's jobs (the tenant's rule for the type)."),
};

export const CreateHandlerSchema = z.object({ type: HandlerType, ...HandlerFields }).strict().openapi("CreateHandler");
export type CreateHandler = z.infer<typeof CreateHandlerSchema>;

export const UpdateHandlerSchema = z
  .object({ ...HandlerFields, url: HandlerFields.url.optional(), description: z.string().max(500).nullable().optional(), inputSchema: InputJsonSchema.nullable().optional() })
  .strict()
  .openapi("UpdateHandler");
export type UpdateHandler = z.infer<typeof UpdateHandlerSchema>;

export const HandlerSchema = z
  .object({
    type: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    inputSchema: InputJsonSchema.nullable(),
    retry: z.object({ maxAttempts: z.number().int(), backoff: BackoffSchema }),
    timeoutMs: z.number().int(),
    concurrency: ConcurrencySchema.nullable(),
    rateLimit: nullable(RateLimitRuleInput),
    /** Set for a day after a rotation, while calls are signed with both secrets. */
    previousSecretExpiresAt: IsoTimestamp.nullable(),
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
  })
  .openapi("Handler");
export type HandlerView = z.infer<typeof HandlerSchema>;

export const HandlerSecretSchema = z
  .object({
    secret: z.string().describe("Shown only now: verify each call's Edge-Jobs-Signature with it."),
    previousSecretExpiresAt: IsoTimestamp.nullable(),
  })
  .openapi("HandlerSecret");

export const CreatedHandlerSchema = z.object({ handler: HandlerSchema, secret: z.string() }).openapi("CreatedHandler");

/** What a handler reports through its callbacks (the URLs it was given with the call). */
export const CallbackProgressSchema = z
  .object({
    percent: z.number().min(0).max(100),
    stage: z.string().max(200).optional(),
    message: z.string().max(2_000).optional(),
    logs: z.array(z.object({ level: z.enum(["debug", "info", "warn", "error"]).default("info"), message: z.string().max(2_000) }).strict()).max(100).optional(),
  })
  .strict()
  .openapi("CallbackProgress");

export const CallbackCompleteSchema = z
  .object({ result: z.unknown().optional().describe("The job's result (any JSON); absent: null.") })
  .strict()
  .openapi("CallbackComplete");

export const CallbackFailSchema = z
  .object({
    error: z.object({ message: z.string().min(1).max(2_000), name: z.string().max(100).optional() }).strict(),
    retryable: z.boolean().default(true).describe("false: no further attempt, the job fails now."),
    retryAfterMs: z.number().int().min(0).max(7 * 86_400_000).optional().describe("Wait at least this long before the next attempt."),
  })
  .strict()
  .openapi("CallbackFail");

export const CallbackAnswerSchema = z
  .object({ jobId: z.string(), attempt: z.number().int(), status: z.string().describe("The job's status after the callback.") })
  .openapi("CallbackAnswer");
