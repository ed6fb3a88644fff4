import { databaseNamed, shardOf } from "../db/shards";
import { columnOf } from "../db/columns";
import { SqlText, rawSql } from "../db/raw";
import { usageDays } from "../db/schema";
import type { Usage } from "../engine/metering";

export const DAY_MS = 86_400_000;

/** The UTC midnight (ms) that starts the day of `at`. */
export const dayOf = (at: number) => Math.floor(at / DAY_MS) * DAY_MS;

/**
 * The ledger's name for what no tenant asked for: clock ticks, requests without a key, queue
 * messages naming no job it could find. Tenant names start with a letter or a digit, so it is none.
 */
export const PLATFORM_USAGE = "_platform";

/** The counters an invocation adds to the ledger, as `usage_days` fields. */
export const METERED = ["requests", "d1Queries", "d1RowsRead", "d1RowsWritten", "durableObjectRequests", "workflowSteps", "queueOperations"] as const;
export type Metered = Record<(typeof METERED)[number], number>;

const column = (field: (typeof METERED)[number]) => columnOf(usageDays, field);

export function meteredOf(usage: Usage, requests: number): Metered {
  return {
    requests,
    d1Queries: usage.d1Queries,
    d1RowsRead: usage.d1RowsRead,
    d1RowsWritten: usage.d1RowsWritten,
    durableObjectRequests: usage.durableObjectCalls,
    workflowSteps: usage.workflowSteps,
    queueOperations: usage.queueOperations,
  };
}

const nothing = (): Metered => ({ requests: 0, d1Queries: 0, d1RowsRead: 0, d1RowsWritten: 0, durableObjectRequests: 0, workflowSteps: 0, queueOperations: 0 });

/**
 * Splits `total` between tenants in proportion to `weights` (each one's jobs in a consumer batch):
 * every counter by largest remainder, so the shares add up to the total exactly. Ties go to the
 * heavier tenant, then to the first by name, so the same batch always splits the same way.
 */
export function shareOut(total: Metered, weights: ReadonlyMap<string, number>): Map<string, Metered> {
  const tenants = [...weights].filter(([, w]) => w > 0).sort(([a, wa], [b, wb]) => wb - wa || (a < b ? -1 : a > b ? 1 : 0));
  const sum = tenants.reduce((n, [, w]) => n + w, 0);
  const shares = new Map(tenants.map(([tenant]) => [tenant, nothing()]));
  for (const field of METERED) {
    const exact = tenants.map(([tenant, w]) => ({ tenant, value: (total[field] * w) / sum }));
    let left = total[field];
    for (const { tenant, value } of exact) {
      shares.get(tenant)![field] = Math.floor(value);
      left -= Math.floor(value);
    }
    // A stable sort: equal remainders keep the order above.
    exact.sort((a, b) => (b.value % 1) - (a.value % 1));
    for (let i = 0; i < left; i++) shares.get(exact[i]!.tenant)![field] += 1;
  }
  return shares;
}

type Row = { tenant: string } & Metered;

/**
 * The ledger's own cost, added to the rows it writes: the statement is a query that reads each
 * row from `json_each` and writes it (an upsert of a WITHOUT ROWID row with no other index writes
 * one row, inserted or updated, as test/worker/usage.test.ts checks against D1's answer).
 */
function withOwnCost(rows: Row[]): Row[] {
  return rows.map((row, i) => ({ ...row, d1Queries: row.d1Queries + (i === 0 ? 1 : 0), d1RowsRead: row.d1RowsRead + 1, d1RowsWritten: row.d1RowsWritten + 1 }));
}

const NAMES = new SqlText(METERED.map((f) => column(f)).join(", "));
const VALUES = new SqlText(METERED.map((f) => `value->>'${f}'`).join(", "));
const SET = new SqlText(METERED.map((f) => `${column(f)} = ${column(f)} + excluded.${column(f)}`).join(", "));

/** One upsert adding each row to its tenant's `day` (bulk from JSON: D1 binds at most 100 parameters). */
export function ledgerStatement(db: D1Database, day: number, rows: Row[]): D1PreparedStatement {
  return rawSql(db)`
    INSERT INTO usage_days (tenant, day, ${NAMES})
    SELECT value->>'tenant', ${day}, ${VALUES} FROM json_each(${JSON.stringify(rows)}) WHERE true
    ON CONFLICT (tenant, day) DO UPDATE SET ${SET}`;
}

/**
 * Adds each tenant's share to its day (of `at`) in the tenant's own database: one statement per
 * database, the ledger's own query and rows counted in. Answers what the ledger itself cost.
 */
export async function recordUsage(env: Env, shares: ReadonlyMap<string, Metered>, at: number) {
  const byDatabase = new Map<string, Row[]>();
  for (const [tenant, counts] of shares) {
    if (METERED.every((f) => counts[f] === 0)) continue;
    const binding = shardOf(env, tenant);
    byDatabase.set(binding, [...(byDatabase.get(binding) ?? []), { tenant, ...counts }]);
  }
  const own = { d1Queries: byDatabase.size, d1RowsRead: 0, d1RowsWritten: 0 };
  await Promise.all(
    [...byDatabase].map(([binding, rows]) => {
      own.d1RowsRead += rows.length;
      own.d1RowsWritten += rows.length;
      return ledgerStatement(databaseNamed(env, binding), dayOf(at), withOwnCost(rows)).run();
    }),
  );
  return own;
}
