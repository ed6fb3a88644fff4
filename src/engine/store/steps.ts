import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import type { RawSql } from "../../db/raw";
import { jobSteps } from "../../db/schema";

/**
 * What a durable attempt writes as it goes: each finished step's value (the checkpoint a new
 * instance starts from if this one is lost) and a heartbeat, in the round trip the step already
 * makes for its logs. A heartbeat may lie ahead (`aliveUntil`): an attempt going to sleep is
 * alive until it wakes.
 */
export function stepStatements(
  sql: RawSql,
  at: { jobId: string; series: number; claimToken: string; now: number; aliveUntil?: number },
  checkpoint?: { name: string; value: string },
) {
  const { jobId, series, claimToken, now } = at;
  return [
    ...(checkpoint ? [sql`
      INSERT INTO job_steps (job_id, series, name, value, at) VALUES (${jobId}, ${series}, ${checkpoint.name}, ${checkpoint.value}, ${now})
      ON CONFLICT DO NOTHING`] : []),
    sql`UPDATE jobs SET heartbeat_at = ${Math.max(now, at.aliveUntil ?? now)}
        WHERE id = ${jobId} AND +status = 'running' AND +claim_token = ${claimToken}`,
  ];
}

/** The checkpoints of a series: the steps that finished, by name, with their values as JSON. */
export async function checkpoints(db: Database, jobId: string, series: number): Promise<[string, string][]> {
  const rows = await db
    .select({ name: jobSteps.name, value: jobSteps.value })
    .from(jobSteps)
    .where(and(eq(jobSteps.jobId, jobId), eq(jobSteps.series, series)));
  return rows.map((r) => [r.name, r.value]);
}
