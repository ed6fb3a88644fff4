import type { UsageCost } from "../schemas/usage";
import type { usageDays } from "../db/schema";
import { PRICES } from "./prices";

/** A day's counts as `usage_days` holds them (summed over tenants for the platform). */
export type DayCounts = Omit<typeof usageDays.$inferSelect, "tenant" | "day">;

/** Costs in USD, kept to the nanodollar so sums do not show floating-point dust. */
const usd = (n: number) => Math.round(n * 1e9) / 1e9;

/** What `counts` cost at list prices; storage for `days` days of `r2BytesStored` (a day's peak). */
export function costOf(counts: DayCounts, days = 1): UsageCost {
  const m = PRICES.perMillion;
  const per = (n: number, price: number) => (n * price) / 1e6;
  const items = {
    workerRequests: per(counts.requests, m.workerRequest),
    d1RowsRead: per(counts.d1RowsRead, m.d1RowRead),
    d1RowsWritten: per(counts.d1RowsWritten, m.d1RowWritten),
    durableObjectRequests: per(counts.durableObjectRequests, m.durableObjectRequest),
    queueOperations: per(counts.queueOperations, m.queueOperation),
    r2Storage: ((counts.r2BytesStored / PRICES.bytesPerGb) * PRICES.r2StoragePerGbMonth * days) / PRICES.daysPerMonth,
  };
  const total = Object.values(items).reduce((n, v) => n + v, 0);
  return { ...(Object.fromEntries(Object.entries(items).map(([k, v]) => [k, usd(v)])) as Omit<UsageCost, "total">), total: usd(total) };
}

/** The price list as GET /usage states it. */
export function priceList() {
  const m = PRICES.perMillion;
  return {
    currency: "USD" as const,
    workerRequestPerMillion: m.workerRequest,
    d1RowReadPerMillion: m.d1RowRead,
    d1RowWrittenPerMillion: m.d1RowWritten,
    durableObjectRequestPerMillion: m.durableObjectRequest,
    queueOperationPerMillion: m.queueOperation,
    r2StoragePerGbMonth: PRICES.r2StoragePerGbMonth,
    bytesPerGb: PRICES.bytesPerGb,
    daysPerMonth: PRICES.daysPerMonth,
  };
}
