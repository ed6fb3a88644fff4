import { rawSql } from "../db/raw";
import { platformDatabase } from "../db/shards";

export type TickSource = "cron" | "alarm";

/**
 * Takes the clock's lease for `slot`: true unless a tick for this slot or a later one already took
 * it. One conditional upsert, so of two ticks arriving together (the Cron Trigger and the alarm of
 * the same minute, or two deliveries of one alarm) exactly one gets true, and a late tick for an
 * earlier minute gets false once a later minute has run.
 */
export async function takeLease(env: Env, slot: number, source: TickSource, now = Date.now()): Promise<boolean> {
  const sql = rawSql(platformDatabase(env));
  const taken = await sql`
    INSERT INTO clock (name, slot, source, taken_at) VALUES ('tick', ${slot}, ${source}, ${now})
    ON CONFLICT (name) DO UPDATE SET slot = excluded.slot, source = excluded.source, taken_at = excluded.taken_at
    WHERE excluded.slot > clock.slot
    RETURNING slot`.first();
  return taken !== null;
}
