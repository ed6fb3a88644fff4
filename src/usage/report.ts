import { getTableColumns } from "drizzle-orm";
import { columnOf } from "../db/columns";
import { SqlText, rawSql, rowsOf } from "../db/raw";
import { usageDays } from "../db/schema";
import { distinctTenants } from "../engine/tenants";
import { type UsageCounts, type UsageReport, dateOf } from "../schemas/usage";
import { type DayCounts, costOf, priceList } from "./cost";
import { DAY_MS } from "./ledger";

const FIELDS = Object.keys(getTableColumns(usageDays)).filter((f) => f !== "tenant" && f !== "day") as (keyof DayCounts)[];
const SUMS = new SqlText(FIELDS.map((f) => `sum(${columnOf(usageDays, f)}) AS "${f}"`).join(", "));
const ALL_TENANTS = (table: string) => new SqlText(`tenant IN (WITH RECURSIVE ${distinctTenants("t", table)} SELECT tenant FROM t WHERE tenant IS NOT NULL)`);

type Minutes = { day: number; jobsCompleted: number; jobsFailed: number; jobsCancelled: number };

/**
 * One database's ledger per day of [from, to], for `tenant` or (null) every tenant, with the job
 * finishes the roll-up still keeps per minute (not in the ledger until they are folded): one batch.
 */
async function readDatabase(db: D1Database, tenant: string | null, from: number, to: number) {
  const sql = rawSql(db);
  const minuteSums = new SqlText(
    `minute / ${DAY_MS} * ${DAY_MS} AS day, sum(completed) AS jobsCompleted, sum(failed) AS jobsFailed, sum(cancelled) AS jobsCancelled`,
  );
  const results = await db.batch(
    tenant === null
      ? [
          sql`SELECT day, ${SUMS} FROM usage_days WHERE ${ALL_TENANTS("usage_days")} AND day >= ${from} AND day <= ${to} GROUP BY day`,
          sql`SELECT ${minuteSums} FROM job_finishes WHERE minute >= ${from} AND minute < ${to + DAY_MS} GROUP BY 1`,
        ]
      : [
          sql`SELECT day, ${SUMS} FROM usage_days WHERE tenant = ${tenant} AND day >= ${from} AND day <= ${to} GROUP BY day`,
          sql`SELECT ${minuteSums} FROM job_finishes WHERE tenant = ${tenant} AND minute >= ${from} AND minute < ${to + DAY_MS} GROUP BY 1`,
        ],
  );
  return { days: rowsOf<DayCounts & { day: number }>(results, 0), minutes: rowsOf<Minutes>(results, 1) };
}

const zeros = (): DayCounts => Object.fromEntries(FIELDS.map((f) => [f, 0])) as DayCounts;

function shown(counts: DayCounts, cost = costOf(counts)): UsageCounts {
  return {
    jobs: { submitted: counts.jobsSubmitted, completed: counts.jobsCompleted, failed: counts.jobsFailed, cancelled: counts.jobsCancelled },
    requests: counts.requests,
    d1: { queries: counts.d1Queries, rowsRead: counts.d1RowsRead, rowsWritten: counts.d1RowsWritten },
    durableObjectRequests: counts.durableObjectRequests,
    workflowSteps: counts.workflowSteps,
    queueOperations: counts.queueOperations,
    r2BytesStored: Math.round(counts.r2BytesStored),
    cost,
  };
}

/**
 * The usage of `tenant` (null: every tenant of `databases`, added up) on each day of [from, to]
 * (UTC midnights, inclusive), its total and what it cost at list prices.
 */
export async function usageReport(databases: D1Database[], tenant: string | null, from: number, to: number): Promise<UsageReport> {
  const byDay = new Map<number, DayCounts>();
  for (let day = from; day <= to; day += DAY_MS) byDay.set(day, zeros());
  const answers = await Promise.all(databases.map((db) => readDatabase(db, tenant, from, to)));
  for (const { days, minutes } of answers) {
    for (const row of days) for (const f of FIELDS) byDay.get(row.day)![f] += Number(row[f] ?? 0);
    for (const row of minutes) {
      const day = byDay.get(row.day)!;
      day.jobsCompleted += Number(row.jobsCompleted ?? 0);
      day.jobsFailed += Number(row.jobsFailed ?? 0);
      day.jobsCancelled += Number(row.jobsCancelled ?? 0);
    }
  }
  const total = zeros();
  for (const counts of byDay.values()) for (const f of FIELDS) total[f] += counts[f];
  // Storage is billed by the days' peaks: the total shows their mean, and costs the days' sum.
  total.r2BytesStored /= byDay.size;
  return {
    tenant,
    from: dateOf(from),
    to: dateOf(to),
    days: [...byDay].map(([day, counts]) => ({ day: dateOf(day), ...shown(counts) })),
    total: shown(total, costOf(total, byDay.size)),
    prices: priceList(),
  };
}
