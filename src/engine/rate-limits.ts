import type { RateLimitRule } from "../jobs/define";
import { findJobDefinition } from "../jobs/index";

/**
 * Rate limits live in D1, next to the jobs they count: a submission's check, its log entries and
 * its job rows are written in one D1 batch (one transaction), so a rejected submission writes
 * nothing, an accepted one is counted exactly once, concurrent requests are serialised by D1 like
 * every other write, and the check costs no extra round trip. (A Durable Object would be exact
 * too, but every submit would wait for a second round trip before its D1 write.)
 */

/** The action the refresh endpoint counts its submissions against, keyed by resource. */
export const REFRESH_ACTION = "refresh";
export const REFRESH_DEFAULT_RULE: Required<RateLimitRule> = { limit: 10, windowMs: 60_000, mode: "reject" };

export type EffectiveRule = Required<RateLimitRule>;

/** The longest window a rule may have; log entries older than this count for nothing. */
export const MAX_RATE_WINDOW_MS = 7 * 86_400_000;
const PRUNE_PER_RUN = 10_000;

/** Forgets log entries no window can reach (those of keys never used again stay otherwise). */
export function pruneStatement(db: D1Database, now: number) {
  return db.prepare(`
    DELETE FROM rate_limit_hits WHERE rowid IN (SELECT rowid FROM rate_limit_hits WHERE at < ? LIMIT ?)`)
    .bind(now - MAX_RATE_WINDOW_MS, PRUNE_PER_RUN);
}

/** The rule an action brings when the tenant has not set its own. */
export function defaultRule(action: string): EffectiveRule | null {
  if (action === REFRESH_ACTION) return REFRESH_DEFAULT_RULE;
  const rule = findJobDefinition(action)?.rateLimit;
  return rule ? { limit: rule.limit, windowMs: rule.windowMs, mode: rule.mode ?? "reject" } : null;
}

/** The jobs of one submission that count against the same action and key. */
export interface RateGroup {
  action: string;
  key: string;
  ids: string[];
  /** The action's default rule (a tenant's own rule takes precedence in SQL). */
  limit: number | null;
  windowMs: number | null;
  mode: string | null;
}

export function rateGroups(rows: { id: string; rateAction: string; rateKey: string }[]): RateGroup[] {
  const groups = new Map<string, RateGroup>();
  for (const row of rows) {
    if (!row.rateAction) continue;
    const id = `${row.rateAction}\n${row.rateKey}`;
    let group = groups.get(id);
    if (!group) {
      const rule = defaultRule(row.rateAction);
      group = { action: row.rateAction, key: row.rateKey, ids: [], limit: rule?.limit ?? null, windowMs: rule?.windowMs ?? null, mode: rule?.mode ?? null };
      groups.set(id, group);
    }
    group.ids.push(row.id);
  }
  return [...groups.values()];
}

/** Each group with its effective rule; `?1` is the groups JSON, `?2` the tenant. */
const EFFECTIVE = `
  g AS (SELECT value->>'action' AS action, value->>'key' AS key, json_array_length(value->'ids') AS n,
               value->'ids' AS ids, value->>'limit' AS dl, value->>'windowMs' AS dw, value->>'mode' AS dm
        FROM json_each(?1)),
  eff AS (SELECT g.action, g.key, g.n, g.ids, coalesce(r."limit", g.dl) AS lim, coalesce(r.window_ms, g.dw) AS win,
                 coalesce(r.mode, g.dm) AS mode
          FROM g LEFT JOIN rate_limit_rules r ON r.tenant = ?2 AND r.action = g.action)`;

/**
 * SQL condition (for the job inserts, same `?1` / `?2` / `?3` = now) that every rejecting rule of
 * the submission admitted it: its log entries were written by `admitStatements` just before.
 */
export const ADMITTED = `
  NOT EXISTS (
    WITH ${EFFECTIVE}
    SELECT 1 FROM eff WHERE eff.mode = 'reject' AND NOT EXISTS (
      SELECT 1 FROM rate_limit_hits h
      WHERE h.tenant = ?2 AND h.action = eff.action AND h.key = eff.key AND h.at = ?3 AND h.job_id = eff.ids->>'$[0]'))`;

/**
 * Before the job inserts: forget log entries past their window, then log the submission under
 * each rejecting rule it fits in whole (a batch is all-or-nothing per rule and across rules).
 */
export function admitStatements(db: D1Database, tenant: string, groups: RateGroup[], now: number) {
  const json = JSON.stringify(groups);
  return [
    db.prepare(`
      WITH ${EFFECTIVE}
      DELETE FROM rate_limit_hits WHERE rowid IN (
        SELECT h.rowid FROM eff JOIN rate_limit_hits h ON h.tenant = ?2 AND h.action = eff.action AND h.key = eff.key
        WHERE eff.mode IS NOT NULL AND h.at <= ?3 - eff.win)`).bind(json, tenant, now),
    db.prepare(`
      WITH ${EFFECTIVE}
      INSERT INTO rate_limit_hits (tenant, action, key, at, job_id)
      SELECT ?2, eff.action, eff.key, ?3, i.value FROM eff, json_each(eff.ids) AS i
      WHERE eff.mode = 'reject' AND eff.n + (
        SELECT count(*) FROM rate_limit_hits h
        WHERE h.tenant = ?2 AND h.action = eff.action AND h.key = eff.key AND h.at > ?3 - eff.win) <= eff.lim`).bind(json, tenant, now),
  ];
}

export interface RateReport {
  action: string;
  key: string;
  n: number;
  limit: number;
  windowMs: number;
  mode: "reject" | "throttle";
  /** Whether a rejecting rule logged this submission (it fit). */
  admitted: number;
  used: number;
  oldest: number | null;
  /** When enough entries will have left the window for this submission to fit. */
  freeAt: number | null;
}

/**
 * After the job inserts: report each rule's state for the response headers, then take back the
 * log entries of jobs that were not written (an idempotent repeat, a debounced submission merged
 * into a queued job, a batch refused for another reason).
 */
export function reportStatements(db: D1Database, tenant: string, groups: RateGroup[], now: number) {
  const json = JSON.stringify(groups);
  return [
    db.prepare(`
      WITH ${EFFECTIVE},
      w AS (SELECT eff.action, eff.key, h.at, row_number() OVER (PARTITION BY eff.action, eff.key ORDER BY h.at) AS rn
            FROM eff JOIN rate_limit_hits h ON h.tenant = ?2 AND h.action = eff.action AND h.key = eff.key
            WHERE eff.mode IS NOT NULL AND h.at > ?3 - eff.win),
      u AS (SELECT eff.*, (SELECT count(*) FROM w WHERE w.action = eff.action AND w.key = eff.key) AS used FROM eff)
      SELECT u.action, u.key, u.n, u.lim AS "limit", u.win AS windowMs, u.mode, u.used,
             EXISTS (SELECT 1 FROM rate_limit_hits h WHERE h.tenant = ?2 AND h.action = u.action AND h.key = u.key
                                                      AND h.at = ?3 AND h.job_id = u.ids->>'$[0]') AS admitted,
             (SELECT min(at) FROM w WHERE w.action = u.action AND w.key = u.key) AS oldest,
             (SELECT at + u.win FROM w WHERE w.action = u.action AND w.key = u.key AND w.rn = u.used + u.n - u.lim) AS freeAt
      FROM u WHERE u.mode IS NOT NULL`).bind(json, tenant, now),
    db.prepare(`
      DELETE FROM rate_limit_hits WHERE rowid IN (
        SELECT h.rowid FROM json_each(?1) AS g, json_each(g.value->'ids') AS i
        JOIN rate_limit_hits h ON h.tenant = ?2 AND h.action = g.value->>'action' AND h.key = g.value->>'key'
                               AND h.at = ?3 AND h.job_id = i.value
        WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = i.value))`).bind(json, tenant, now),
  ];
}

/** The IETF RateLimit header fields for the tightest rule, plus Retry-After when rejected. */
export function rateLimitHeaders(reports: RateReport[], now: number, rejected?: RateReport): Record<string, string> {
  const shown = rejected ?? [...reports].sort((a, b) => a.limit - a.used - (b.limit - b.used))[0];
  if (!shown) return {};
  const seconds = (ms: number) => String(Math.max(0, Math.ceil(ms / 1000)));
  const headers: Record<string, string> = {
    "RateLimit-Policy": `${shown.limit};w=${Math.ceil(shown.windowMs / 1000)}`,
    "RateLimit-Limit": String(shown.limit),
    "RateLimit-Remaining": String(Math.max(0, shown.limit - shown.used)),
    "RateLimit-Reset": seconds(shown.oldest === null ? 0 : shown.oldest + shown.windowMs - now),
  };
  if (rejected) headers["Retry-After"] = seconds((rejected.freeAt ?? now + rejected.windowMs) - now);
  return headers;
}

/** Rejecting rules that the submission did not fit in. */
export function overLimit(reports: RateReport[]): RateReport | undefined {
  return reports.find((r) => r.mode === "reject" && !r.admitted);
}
