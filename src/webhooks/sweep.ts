import { rawSql } from "../db/raw";
import { idLowerBound } from "../engine/ids";
import { sendDeliveries } from "./events";

/** How late a delivery's message may be before the clock assumes it was lost and sends it again. */
export const DELIVERY_GRACE_MS = 60_000;
/** How long finished deliveries are kept for GET /webhooks/{id}/deliveries. */
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;
const SWEEP_LIMIT = 500;

/**
 * The clock's part for webhooks, per database: deliveries of active webhooks whose next attempt
 * is overdue (their message was lost) are sent again, and finished deliveries past the retention
 * are deleted (ids are time-ordered: the old ones are a range of the primary key). Both read only
 * an index range, so they cost nothing where there are no webhooks.
 */
export async function sweepWebhooks(env: Env, now = Date.now()) {
  const sql = rawSql(env.DB);
  const { results } = await sql`
    UPDATE webhook_deliveries SET next_attempt_at = ${now}
    WHERE id IN (
      SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.status = 'active'
      WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at < ${now - DELIVERY_GRACE_MS}
      LIMIT ${SWEEP_LIMIT})
    RETURNING id`.all<{ id: string }>();
  await sendDeliveries(env, results.map((r) => r.id));
  const pruned = await sql`
    DELETE FROM webhook_deliveries WHERE id IN (
      SELECT id FROM webhook_deliveries WHERE id < ${idLowerBound("whd", now - DELIVERY_RETENTION_MS)}
        AND status IN ('delivered', 'failed') LIMIT ${SWEEP_LIMIT})`.run();
  return { resent: results.length, pruned: pruned.meta.changes ?? 0 };
}
