import { jobDefinitions } from "../../jobs/index";
import { DISPATCHABLE } from "./columns";
import { dispatchOrLeaveToSweeper } from "../dispatch";
import type { Priority } from "../lanes";

/**
 * Gates decide, inside the claim, whether a due job may start: at most `concurrency_limit` jobs of
 * a concurrency key run at once, at most the tenant's limit of its jobs, and at most a throttle
 * rule's number start per window. A job that must pass a gate is marked `gated` at submit, so the
 * common job skips all of this.
 *
 * Each gate is one SQL statement over D1, which runs statements one at a time, so two consumers
 * can never both take a key's last slot. Waiting jobs are ranked by priority, then submission
 * (job ids are time-ordered); a job that does not get a slot is parked (no queue message) and is
 * announced again when a slot frees (`promoteStatement`), best-ranked first.
 */

const RANK = (t: string) => `(CASE ${t}.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END)`;
/** Due, waiting to start, on a lane that is not paused; `?2` is now. */
const WAITING = (t: string) => `
  (${t}.status = 'queued' OR (${t}.status = 'retrying' AND ${t}.durable = 0)) AND ${t}.run_at <= ?2
  AND NOT EXISTS (SELECT 1 FROM lanes WHERE lanes.name = ${t}.priority AND lanes.paused = 1)`;
/** A durable job keeps its slot through its backoff: its Workflow resumes it without asking again. */
const HOLDING = (t: string) => `(${t}.status = 'running' OR (${t}.status = 'retrying' AND ${t}.durable = 1))`;
const ACTION = (t: string) => `substr(${t}.throttle_key, 1, instr(${t}.throttle_key, char(10)) - 1)`;
const KEY = (t: string) => `substr(${t}.throttle_key, instr(${t}.throttle_key, char(10)) + 1)`;

/** The job types' default throttle rules, as the JSON the gate statements read as `?3`. */
export function throttleDefaults(): string {
  const rules: Record<string, { limit: number; windowMs: number }> = {};
  for (const d of jobDefinitions) {
    if (d.rateLimit?.mode === "throttle") rules[d.type] = { limit: d.rateLimit.limit, windowMs: d.rateLimit.windowMs };
  }
  return JSON.stringify(rules);
}

/**
 * The ids among `cand` (a CTE of gated, waiting jobs) that the gates admit now. `?2` is now and
 * `?3` the throttle defaults.
 */
function admitted(cand: string) {
  return `
    cand AS (${cand}),
    scopes AS (SELECT DISTINCT tenant, concurrency_key AS ckey FROM cand WHERE concurrency_key IS NOT NULL),
    kq AS (SELECT w.id, row_number() OVER (PARTITION BY w.tenant, w.concurrency_key ORDER BY ${RANK("w")}, w.id) AS rn
           FROM scopes s JOIN jobs w ON w.tenant = s.tenant AND w.concurrency_key = s.ckey WHERE ${WAITING("w")}),
    kh AS (SELECT s.tenant, s.ckey, (SELECT count(*) FROM jobs h WHERE h.tenant = s.tenant AND h.concurrency_key = s.ckey
                                                                   AND ${HOLDING("h")}) AS n
           FROM scopes s),
    lim AS (SELECT t.tenant, t.concurrency_limit AS lim FROM tenant_settings t
            WHERE t.tenant IN (SELECT tenant FROM cand) AND t.concurrency_limit IS NOT NULL),
    tq AS (SELECT w.id, row_number() OVER (PARTITION BY w.tenant ORDER BY ${RANK("w")}, w.id) AS rn
           FROM lim JOIN jobs w ON w.tenant = lim.tenant WHERE w.gated = 1 AND ${WAITING("w")}),
    th AS (SELECT lim.tenant, lim.lim, (SELECT count(*) FROM jobs h WHERE h.tenant = lim.tenant AND ${HOLDING("h")}) AS n FROM lim),
    slotted AS (
      SELECT c.* FROM cand c
      LEFT JOIN kq ON kq.id = c.id LEFT JOIN kh ON kh.tenant = c.tenant AND kh.ckey = c.concurrency_key
      LEFT JOIN tq ON tq.id = c.id LEFT JOIN th ON th.tenant = c.tenant
      WHERE (c.concurrency_key IS NULL OR kq.rn + kh.n <= coalesce(c.concurrency_limit, 1))
        AND (th.tenant IS NULL OR tq.rn + th.n <= th.lim)),
    trq AS (SELECT s.id, s.tenant, s.throttle_key, row_number() OVER (PARTITION BY s.tenant, s.throttle_key ORDER BY ${RANK("s")}, s.id) AS rn
            FROM slotted s WHERE s.throttle_key IS NOT NULL),
    tr AS (SELECT DISTINCT s.tenant, s.throttle_key, ${ACTION("s")} AS action, ${KEY("s")} AS key FROM slotted s WHERE s.throttle_key IS NOT NULL),
    tre AS (SELECT tr.*, coalesce(r."limit", d.value->>'limit') AS lim, coalesce(r.window_ms, d.value->>'windowMs') AS win,
                   coalesce(r.mode, CASE WHEN d.value IS NOT NULL THEN 'throttle' END) AS mode
            FROM tr LEFT JOIN rate_limit_rules r ON r.tenant = tr.tenant AND r.action = tr.action
                    LEFT JOIN json_each(?3) d ON d.key = tr.action),
    tu AS (SELECT tre.*, (SELECT count(*) FROM rate_limit_hits h WHERE h.tenant = tre.tenant AND h.action = tre.action
                                                               AND h.key = tre.key AND h.at > ?2 - tre.win) AS used
           FROM tre),
    admitted AS (
      SELECT s.id FROM slotted s
      LEFT JOIN trq ON trq.id = s.id LEFT JOIN tu ON tu.tenant = s.tenant AND tu.throttle_key = s.throttle_key
      WHERE s.throttle_key IS NULL OR tu.mode IS NOT 'throttle' OR trq.rn + tu.used <= tu.lim)`;
}

const CANDIDATE_COLUMNS = "j.id, j.tenant, j.priority, j.concurrency_key, j.concurrency_limit, j.throttle_key";

/**
 * The claim's condition for gated jobs: `?1` (ids) is the batch, `?2` now, `?3` the throttle
 * defaults. SQLite evaluates the subquery only when it meets a gated job, so claims of ungated
 * jobs pay nothing for it. (A throttled job's start is logged by the `jobs_throttle_start`
 * trigger, in the same statement as its claim.)
 */
export const GATED_ADMISSION = `
  id IN (WITH ${admitted(`SELECT ${CANDIDATE_COLUMNS} FROM jobs j
                          WHERE j.id IN (SELECT value FROM json_each(?1)) AND j.gated = 1 AND ${WAITING("j")}`)}
         SELECT id FROM admitted)`;

/**
 * Gated jobs among `?1` that are due but were not admitted. Those waiting for a concurrency slot
 * are parked (no message until a slot frees); those held back only by a throttle are due again
 * when the oldest start leaves the window, and are returned so the caller announces them then.
 */
export function holdBackStatements(db: D1Database, ids: string, now: number) {
  const throttledOnly = `j.concurrency_key IS NULL
    AND NOT EXISTS (SELECT 1 FROM tenant_settings t WHERE t.tenant = j.tenant AND t.concurrency_limit IS NOT NULL)`;
  return [
    db.prepare(`
      UPDATE jobs AS j SET dispatch_due_at = NULL
      WHERE j.id IN (SELECT value FROM json_each(?1)) AND j.gated = 1 AND ${WAITING("j")} AND NOT (${throttledOnly})
      RETURNING id`).bind(ids, now),
    db.prepare(`
      WITH held AS (
        SELECT j.id, j.priority, (
          SELECT min(h.at) + coalesce(r.window_ms, json_extract(?3, '$."' || ${ACTION("j")} || '".windowMs'), 1000)
          FROM rate_limit_hits h LEFT JOIN rate_limit_rules r ON r.tenant = j.tenant AND r.action = ${ACTION("j")}
          WHERE h.tenant = j.tenant AND h.action = ${ACTION("j")} AND h.key = ${KEY("j")}
            AND h.at > ?2 - coalesce(r.window_ms, json_extract(?3, '$."' || ${ACTION("j")} || '".windowMs'), 1000)) AS at
        FROM jobs j
        WHERE j.id IN (SELECT value FROM json_each(?1)) AND j.gated = 1 AND j.throttle_key IS NOT NULL AND ${WAITING("j")}
          AND ${throttledOnly})
      UPDATE jobs SET run_at = max(coalesce(held.at, ?2 + 1000), ?2 + 1), dispatch_due_at = max(coalesce(held.at, ?2 + 1000), ?2 + 1)
      FROM held WHERE jobs.id = held.id
      RETURNING ${DISPATCHABLE.text}`).bind(ids, now, throttleDefaults()),
  ];
}

/**
 * Announces parked jobs that would now get a slot, in the scopes (concurrency keys and limited
 * tenants) of the gated jobs among `?1` (ids). Run wherever a slot may have freed: in a settle's
 * batch, after a cancel, after a claim that parked jobs, and by the sweeper.
 */
export function promoteStatement(db: D1Database, ids: string[], now: number) {
  return db.prepare(`
    WITH
    src AS (SELECT tenant, concurrency_key FROM jobs WHERE id IN (SELECT value FROM json_each(?1)) AND gated = 1),
    ${admitted(`
      SELECT ${CANDIDATE_COLUMNS} FROM (SELECT DISTINCT tenant, concurrency_key FROM src WHERE concurrency_key IS NOT NULL) k
      JOIN jobs j ON j.tenant = k.tenant AND j.concurrency_key = k.concurrency_key
      WHERE j.gated = 1 AND j.dispatch_due_at IS NULL AND ${WAITING("j")}
      UNION
      SELECT ${CANDIDATE_COLUMNS} FROM (SELECT DISTINCT tenant FROM src) t
      JOIN tenant_settings s ON s.tenant = t.tenant AND s.concurrency_limit IS NOT NULL
      JOIN jobs j ON j.tenant = t.tenant AND j.gated = 1
      WHERE j.dispatch_due_at IS NULL AND ${WAITING("j")}`)}
    UPDATE jobs SET dispatch_due_at = ?2 WHERE id IN (SELECT id FROM admitted) AND dispatch_due_at IS NULL
    RETURNING ${DISPATCHABLE.text}`)
    .bind(JSON.stringify(ids), now, throttleDefaults());
}

/** Announces what `promoteStatement` answered (its rows are already marked as announced). */
export async function announcePromoted(env: Env, result: D1Result | undefined) {
  const rows = (result?.results ?? []) as { id: string; priority: Priority; runAt: number }[];
  if (rows.length > 0) await dispatchOrLeaveToSweeper(env, rows);
}

/** Promotes in its own round trip (after a cancel, a claim that parked jobs, a sweep). */
export async function promote(env: Env, ids: string[], now = Date.now()) {
  if (ids.length === 0) return;
  await announcePromoted(env, await promoteStatement(env.DB, ids, now).run());
}
