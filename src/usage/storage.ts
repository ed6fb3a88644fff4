import { rawSql } from "../db/raw";
import { dayOf } from "./ledger";

const HOUR_MS = 3_600_000;

/**
 * Once an hour per database, each tenant's stored bytes into its day's `r2_bytes_stored`, which
 * keeps the day's peak (R2 bills storage by the day's peak). The bytes are those the D1 metadata
 * describes: uploads (an open multipart upload's parts so far) and report versions, whose objects
 * are content-addressed per tenant, so equal versions are one object. Documents' extracted text
 * (segments no table sizes) and an export's segments (deleted once joined) are not in it.
 * Returns whether it took the snapshot. Guarded by the hour, like the roll-ups by their marks, so
 * two ticks in the same hour take one.
 */
export async function snapshotStorage(db: D1Database, now: number): Promise<boolean> {
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const sql = rawSql(db);
  const mark = await sql`SELECT stored_at AS at FROM job_rollup_marks WHERE name = 'jobs'`.first<{ at: number | null }>();
  if (!mark || (mark.at !== null && mark.at >= hour)) return false;
  const unmoved = "(SELECT stored_at FROM job_rollup_marks WHERE name = 'jobs') IS ?1";
  await db.batch([
    db
      .prepare(
        `INSERT INTO usage_days (tenant, day, r2_bytes_stored)
         SELECT tenant, ?2, sum(bytes) FROM (
           SELECT tenant, coalesce(size, 0) AS bytes FROM uploads
           UNION ALL
           SELECT tenant, max(size) FROM report_versions GROUP BY tenant, sha256
         ) WHERE ${unmoved}
         GROUP BY tenant
         ON CONFLICT (tenant, day) DO UPDATE SET r2_bytes_stored = max(r2_bytes_stored, excluded.r2_bytes_stored)`,
      )
      .bind(mark.at, dayOf(now)),
    db.prepare(`UPDATE job_rollup_marks SET stored_at = ?2 WHERE name = 'jobs' AND ${unmoved}`).bind(mark.at, hour),
  ]);
  return true;
}
