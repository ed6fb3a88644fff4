import { and, desc, eq, inArray, lt } from "drizzle-orm";
import { type Database, database } from "../db/client";
import { webhookDeliveries, webhooks } from "../db/schema";
import { NotFoundError } from "../errors";
import { newId } from "../engine/ids";
import { DEFAULT_BACKOFF } from "../engine/retry";
import { checkTenantEndpoint } from "../outbound/tenant-url";
import { type CreateWebhook, DEFAULT_PAUSE_AFTER, DEFAULT_WEBHOOK_ATTEMPTS, type UpdateWebhook, type WebhookView } from "../schemas/webhook";
import { newSigningSecret, openSigningSecrets, previousSecretExpiresAt, rotatedSigningSecret, sealSigningSecret } from "../secrets/signing-secrets";
import { enqueueDelivery, sendDeliveries } from "./events";

export type WebhookRow = typeof webhooks.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

const sealedName = (id: string) => `webhook:${id}`;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function webhookSecrets(env: Env, row: WebhookRow, now = Date.now()): Promise<string[]> {
  return openSigningSecrets(env, row.tenant, sealedName(row.id), row, now);
}

export function webhookView(row: WebhookRow, now = Date.now()): WebhookView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events),
    filter: { types: row.types === null ? null : JSON.parse(row.types), tags: row.tags === null ? null : JSON.parse(row.tags) },
    status: row.status,
    pausedReason: row.pausedReason,
    failures: row.failures,
    pauseAfterFailures: row.pauseAfter,
    retry: { maxAttempts: row.maxAttempts, backoff: JSON.parse(row.backoff) },
    previousSecretExpiresAt: previousSecretExpiresAt(row, now),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function deliveryView(row: DeliveryRow) {
  const { payload: _payload, tenant: _tenant, ...rest } = row;
  return { ...rest, nextAttemptAt: iso(row.nextAttemptAt), createdAt: new Date(row.createdAt).toISOString(), finishedAt: iso(row.finishedAt) };
}

const filterFields = (filter: CreateWebhook["filter"] | null) => ({
  types: filter?.types ? JSON.stringify([...new Set(filter.types)]) : null,
  tags: filter?.tags ? JSON.stringify([...new Set(filter.tags)]) : null,
});

/** Subscribes a URL to job events; answers the webhook with its signing secret, shown only now. */
export async function createWebhook(env: Env, tenant: string, body: CreateWebhook, now = Date.now()) {
  await checkTenantEndpoint(env, body.url, "invalid_webhook");
  const id = newId("whk", now);
  const secret = newSigningSecret();
  const row: WebhookRow = {
    id, tenant, url: body.url, description: body.description ?? null,
    events: JSON.stringify([...new Set(body.events)]), ...filterFields(body.filter),
    status: "active", pausedReason: null, failures: 0, pauseAfter: body.pauseAfterFailures ?? DEFAULT_PAUSE_AFTER,
    maxAttempts: body.retry?.maxAttempts ?? DEFAULT_WEBHOOK_ATTEMPTS, backoff: JSON.stringify({ ...DEFAULT_BACKOFF, ...body.retry?.backoff }),
    ...(await sealSigningSecret(env, tenant, sealedName(id), secret)),
    previousCiphertext: null, previousIv: null, previousUntil: null, createdAt: now, updatedAt: now,
  };
  await database(env).insert(webhooks).values(row);
  return { webhook: webhookView(row, now), secret };
}

export async function findWebhook(db: Database, tenant: string, id: string): Promise<WebhookRow> {
  const row = await db.select().from(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.tenant, tenant))).get();
  if (!row) throw new NotFoundError(`webhook ${id}`);
  return row;
}

export function listWebhooks(db: Database, tenant: string, before: string | undefined, limit: number) {
  return db.select().from(webhooks)
    .where(and(eq(webhooks.tenant, tenant), before === undefined ? undefined : lt(webhooks.id, before)))
    .orderBy(desc(webhooks.id)).limit(limit + 1);
}

/** Changes a webhook; making a paused one active again resets its failures and sends what it held. */
export async function updateWebhook(env: Env, tenant: string, id: string, patch: UpdateWebhook, now = Date.now()) {
  const db = database(env);
  const row = await findWebhook(db, tenant, id);
  await checkTenantEndpoint(env, patch.url, "invalid_webhook");
  const resumed = patch.status === "active" && row.status === "paused";
  const set: Partial<WebhookRow> = {
    updatedAt: Math.max(now, row.updatedAt),
    ...(patch.url === undefined ? {} : { url: patch.url }),
    ...(patch.events === undefined ? {} : { events: JSON.stringify([...new Set(patch.events)]) }),
    ...(patch.filter === undefined ? {} : filterFields(patch.filter)),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.retry === undefined ? {} : { maxAttempts: patch.retry.maxAttempts, backoff: JSON.stringify({ ...DEFAULT_BACKOFF, ...patch.retry.backoff }) }),
    ...(patch.pauseAfterFailures === undefined ? {} : { pauseAfter: patch.pauseAfterFailures }),
    ...(patch.status === undefined ? {} : { status: patch.status, pausedReason: patch.status === "paused" ? "paused through the API" : null }),
    ...(resumed ? { failures: 0 } : {}),
  };
  const [updated] = await db.update(webhooks).set(set).where(and(eq(webhooks.id, id), eq(webhooks.tenant, tenant))).returning();
  if (resumed) await sendHeld(env, id);
  return webhookView(updated!, now);
}

/** The deliveries a paused webhook held back, sent now. */
async function sendHeld(env: Env, webhookId: string) {
  const held = await database(env).select({ id: webhookDeliveries.id }).from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, webhookId), inArray(webhookDeliveries.status, ["pending", "retrying"])));
  await sendDeliveries(env, held.map((d) => d.id));
}

/** Deletes a webhook and its deliveries. */
export async function deleteWebhook(db: Database, tenant: string, id: string) {
  await findWebhook(db, tenant, id);
  await db.batch([
    db.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id)),
    db.delete(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.tenant, tenant))),
  ]);
}

export async function rotateWebhookSecret(env: Env, tenant: string, id: string, now = Date.now()) {
  const db = database(env);
  const row = await findWebhook(db, tenant, id);
  const { secret, previousUntil, set } = await rotatedSigningSecret(env, tenant, sealedName(id), row, now);
  await db.update(webhooks).set({ ...set, updatedAt: Math.max(now, row.updatedAt) }).where(eq(webhooks.id, id));
  return { secret, previousSecretExpiresAt: new Date(previousUntil).toISOString() };
}

/** Sends a `ping` event, to check the receiver and its signature check. */
export async function pingWebhook(env: Env, tenant: string, id: string, now = Date.now()) {
  const row = await findWebhook(database(env), tenant, id);
  const deliveryId = await enqueueDelivery(env, row, "ping", null, JSON.stringify({ message: "ping from edge-jobs" }), now);
  return findDelivery(database(env), tenant, id, deliveryId);
}

export async function findDelivery(db: Database, tenant: string, webhookId: string, id: string): Promise<DeliveryRow> {
  const row = await db.select().from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.tenant, tenant))).get();
  if (!row) throw new NotFoundError(`delivery ${id}`);
  return row;
}

export function listDeliveries(db: Database, tenant: string, webhookId: string, query: { status?: DeliveryRow["status"]; before?: string; limit: number }) {
  return db.select().from(webhookDeliveries)
    .where(and(
      eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.tenant, tenant),
      query.status === undefined ? undefined : eq(webhookDeliveries.status, query.status),
      query.before === undefined ? undefined : lt(webhookDeliveries.id, query.before),
    ))
    .orderBy(desc(webhookDeliveries.id)).limit(query.limit + 1);
}

/** Sends an earlier delivery's event again, as a new delivery with attempts of its own. */
export async function redeliver(env: Env, tenant: string, webhookId: string, id: string, now = Date.now()) {
  const db = database(env);
  const [webhook, earlier] = await Promise.all([findWebhook(db, tenant, webhookId), findDelivery(db, tenant, webhookId, id)]);
  const deliveryId = await enqueueDelivery(env, webhook, earlier.event, earlier.jobId, earlier.payload, now);
  return findDelivery(db, tenant, webhookId, deliveryId);
}
