import { and, eq, sql } from "drizzle-orm";
import { database } from "../db/client";
import { onDatabase } from "../db/shards";
import { webhookDeliveries, webhooks } from "../db/schema";
import { describeError } from "../engine/errors";
import { type Backoff, backoffDelay } from "../engine/retry";
import { SIGNATURE_HEADER, signatureHeader } from "../handlers/signature";
import { guardedFetch, readCappedText } from "../outbound/fetch";
import type { DeliveryMessage } from "./events";
import { webhookSecrets } from "./store";

export const WEBHOOK_QUEUE = "webhook-deliveries";
/** A receiver has this long to answer; slower counts as a failed attempt. */
const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_ERROR_TEXT = 300;

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
type WebhookRow = typeof webhooks.$inferSelect;

/** The webhook queue's consumer: each message is one delivery's next attempt. */
export async function deliverWebhooks(batch: MessageBatch<DeliveryMessage>, env: Env, worksFor: (tenant: string) => void = () => {}): Promise<void> {
  await Promise.all(batch.messages.map(async (message) => {
    try {
      const retryInMs = await attemptDelivery(onDatabase(env, message.body.db), message.body.id, worksFor);
      if (retryInMs === undefined) message.ack();
      else message.retry({ delaySeconds: Math.ceil(retryInMs / 1000) });
    } catch (err) {
      console.error(`webhook delivery ${message.body.id} could not be attempted`, err);
      message.retry({ delaySeconds: 10 });
    }
  }));
}

/** One attempt of a delivery, recorded; answers when to try again, or undefined when it is done with. */
async function attemptDelivery(env: Env, id: string, worksFor: (tenant: string) => void): Promise<number | undefined> {
  const db = database(env);
  const found = await db.select({ delivery: webhookDeliveries, webhook: webhooks }).from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId)).where(eq(webhookDeliveries.id, id)).get();
  if (!found || found.delivery.status === "delivered" || found.delivery.status === "failed") return undefined;
  worksFor(found.delivery.tenant);
  // A paused webhook's deliveries wait; resuming it sends them again.
  if (found.webhook.status === "paused") return undefined;
  const outcome = await send(env, found.webhook, found.delivery);
  return record(env, found.webhook, found.delivery, outcome);
}

interface Outcome {
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

async function send(env: Env, webhook: WebhookRow, delivery: DeliveryRow): Promise<Outcome> {
  const body = JSON.stringify({
    id: delivery.id,
    event: delivery.event,
    webhookId: webhook.id,
    createdAt: new Date(delivery.createdAt).toISOString(),
    data: JSON.parse(delivery.payload),
  });
  const headers = {
    "content-type": "application/json",
    "user-agent": "edge-jobs",
    [SIGNATURE_HEADER]: await signatureHeader(await webhookSecrets(env, webhook), body),
    "edge-jobs-event": delivery.event,
    "edge-jobs-delivery": delivery.id,
  };
  const started = Date.now();
  try {
    const { response } = await guardedFetch(env, webhook.url, { method: "POST", headers, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    const { text } = await readCappedText(response, MAX_ERROR_TEXT);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, status: response.status, error: ok ? null : `answered ${response.status}${text ? `: ${text}` : ""}`, durationMs: Date.now() - started };
  } catch (err) {
    return { ok: false, status: null, error: describeError(err).message.slice(0, MAX_ERROR_TEXT), durationMs: Date.now() - started };
  }
}

/**
 * The attempt's outcome on the delivery, and on the webhook: a success ends its run of failures; a
 * delivery out of attempts adds to it, and pauses the webhook once the run is long enough.
 * Answers how long until the next attempt, if there is one.
 */
async function record(env: Env, webhook: WebhookRow, delivery: DeliveryRow, outcome: Outcome): Promise<number | undefined> {
  const db = database(env);
  const now = Date.now();
  const attempts = delivery.attempts + 1;
  const exhausted = !outcome.ok && attempts >= webhook.maxAttempts;
  const status = outcome.ok ? "delivered" : exhausted ? "failed" : "retrying";
  const retryInMs = status === "retrying" ? backoffDelay(JSON.parse(webhook.backoff) as Backoff, attempts) : undefined;
  const reason = `${webhook.pauseAfter} deliveries in a row failed; the last: ${outcome.error}`;
  await db.batch([
    db.update(webhookDeliveries)
      .set({ status, attempts, nextAttemptAt: retryInMs === undefined ? null : now + retryInMs, responseStatus: outcome.status, error: outcome.error, durationMs: outcome.durationMs, finishedAt: status === "retrying" ? null : now })
      .where(eq(webhookDeliveries.id, delivery.id)),
    outcome.ok
      ? db.update(webhooks).set({ failures: 0 }).where(eq(webhooks.id, webhook.id))
      : db.update(webhooks)
        .set({
          failures: sql`${webhooks.failures} + ${exhausted ? 1 : 0}`,
          status: sql`CASE WHEN ${webhooks.failures} + ${exhausted ? 1 : 0} >= ${webhooks.pauseAfter} THEN 'paused' ELSE ${webhooks.status} END`,
          pausedReason: sql`CASE WHEN ${webhooks.failures} + ${exhausted ? 1 : 0} >= ${webhooks.pauseAfter} THEN ${reason} ELSE ${webhooks.pausedReason} END`,
        })
        .where(and(eq(webhooks.id, webhook.id), eq(webhooks.status, "active"))),
  ]);
  return retryInMs;
}
