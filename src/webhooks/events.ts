import { bindingOf } from "../db/shards";
import { database } from "../db/client";
import { SqlText, rawSql } from "../db/raw";
import { webhookDeliveries } from "../db/schema";
import { idLowerBound, newId } from "../engine/ids";
import type { WEBHOOK_EVENTS } from "../schemas/webhook";

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number] | "ping";

/** A delivery's queue message: its database and id. */
export interface DeliveryMessage {
  db: string;
  id: string;
}

/** The largest result a delivery carries; a larger one is left out (`resultOmitted`), to be read from the API. */
const MAX_RESULT_IN_EVENT = 256 * 1024;
const SEND_BATCH_LIMIT = 100;

/** What a job's new status tells webhooks: a failed job is in the dead letters too. */
function eventsOf(status: string): WebhookEvent[] {
  switch (status) {
    case "completed":
      return ["job.completed"];
    case "failed":
      return ["job.failed", "job.dead_lettered"];
    case "retrying":
      return ["job.retrying"];
    case "cancelled":
      return ["job.cancelled"];
    default:
      return [];
  }
}

const ISO = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch')`;

/** The job as an event shows it, built from its row in SQL. */
const JOB_SNAPSHOT = new SqlText(`json_object('job', json_object(
  'id', j.id, 'type', j.type, 'status', j.status, 'priority', j.priority, 'attempts', j.attempts,
  'maxAttempts', j.max_attempts, 'tags', json(j.tags),
  'result', CASE WHEN length(j.result) <= ${MAX_RESULT_IN_EVENT} THEN json(j.result) END,
  'resultOmitted', json(CASE WHEN length(j.result) > ${MAX_RESULT_IN_EVENT} THEN 'true' ELSE 'false' END),
  'error', json(j.error), 'createdAt', ${ISO("j.created_at")},
  'finishedAt', CASE WHEN j.finished_at IS NOT NULL THEN ${ISO("j.finished_at")} END))`);

/**
 * Records a delivery for each webhook of the jobs' tenants that wants one of their events (and
 * whose type and tag filters take the job), then sends one queue message per delivery: a paused
 * webhook's wait until it is resumed. The caller passes only jobs whose tenant has a webhook
 * (`hooked`), so a tenant without any writes nothing here.
 */
export async function enqueueJobEvents(env: Env, moved: { id: string; status: string }[], now: number): Promise<void> {
  const events = moved.flatMap((m) => eventsOf(m.status).map((event) => ({ job: m.id, event })));
  if (events.length === 0) return;
  const sql = rawSql(env.DB);
  // Time-ordered like every id (src/engine/ids.ts): the time part, then random hex.
  const prefix = idLowerBound("whd", now);
  const { results } = await sql`
    INSERT INTO webhook_deliveries (id, webhook_id, tenant, event, job_id, payload, status, attempts, next_attempt_at, created_at)
    SELECT ${prefix} || lower(hex(randomblob(10))), w.id, w.tenant, e.value->>'event', j.id, ${JOB_SNAPSHOT}, 'pending', 0, ${now}, ${now}
    FROM json_each(${JSON.stringify(events)}) AS e
    JOIN jobs j ON j.id = e.value->>'job'
    JOIN webhooks w ON w.tenant = j.tenant
    WHERE e.value->>'event' IN (SELECT value FROM json_each(w.events))
      AND (w.types IS NULL OR j.type IN (SELECT value FROM json_each(w.types)))
      AND (w.tags IS NULL OR EXISTS (SELECT 1 FROM json_each(w.tags) t JOIN json_each(j.tags) jt ON jt.value = t.value))
    RETURNING id`.all<{ id: string }>();
  await sendDeliveries(env, results.map((r) => r.id));
}

/** Announces deliveries on the webhook queue, to go now or after `delaySeconds`. */
export async function sendDeliveries(env: Env, ids: string[], delaySeconds = 0): Promise<void> {
  const db = bindingOf(env);
  for (let i = 0; i < ids.length; i += SEND_BATCH_LIMIT) {
    const messages = ids.slice(i, i + SEND_BATCH_LIMIT).map((id) => ({ body: { db, id } satisfies DeliveryMessage, delaySeconds }));
    await env.WEBHOOKS.sendBatch(messages);
  }
}

/** A delivery of `event` to one webhook, recorded and sent: a ping, or a redelivery of an earlier one. */
export async function enqueueDelivery(env: Env, webhook: { id: string; tenant: string }, event: string, jobId: string | null, payload: string, now = Date.now()) {
  const id = newId("whd", now);
  await database(env).insert(webhookDeliveries)
    .values({ id, webhookId: webhook.id, tenant: webhook.tenant, event, jobId, payload, status: "pending", nextAttemptAt: now, createdAt: now });
  await sendDeliveries(env, [id]);
  return id;
}
