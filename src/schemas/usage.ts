import { z } from "@hono/zod-openapi";

/** The longest range GET /usage answers, in days (a leap year). */
export const MAX_USAGE_DAYS = 366;
/** The range when `from` is left out: this many days up to `to`. */
export const DEFAULT_USAGE_DAYS = 30;
const DAY_MS = 86_400_000;

const UtcDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "not a date of the calendar");

const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`);
export const dateOf = (day: number) => new Date(day).toISOString().slice(0, 10);

/** The days (UTC midnights, ms) a query asks for, `to` defaulting to today and `from` to 29 days before it. */
export function usageRange(query: { from?: string; to?: string }, now = Date.now()): { from: number; to: number } {
  const to = query.to ? dayStart(query.to) : Math.floor(now / DAY_MS) * DAY_MS;
  const from = query.from ? dayStart(query.from) : to - (DEFAULT_USAGE_DAYS - 1) * DAY_MS;
  return { from, to };
}

export const UsageQuery = z
  .object({
    from: UtcDate.optional().describe(`The first day (UTC), inclusive. Default: ${DEFAULT_USAGE_DAYS - 1} days before \`to\`.`),
    to: UtcDate.optional().describe("The last day (UTC), inclusive. Default: today."),
    tenant: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe("Platform admin key only: the tenant whose usage to read (`_platform`: the platform's own). Default: every tenant, added up."),
  })
  .superRefine((query, ctx) => {
    if (query.from !== undefined && !UtcDate.safeParse(query.from).success) return;
    if (query.to !== undefined && !UtcDate.safeParse(query.to).success) return;
    const { from, to } = usageRange(query);
    if (from > to) ctx.addIssue({ code: "custom", path: ["from"], message: "`from` is after `to`" });
    else if ((to - from) / DAY_MS + 1 > MAX_USAGE_DAYS) ctx.addIssue({ code: "custom", path: ["from"], message: `at most ${MAX_USAGE_DAYS} days at once` });
  });

const UsdSchema = z.number().describe("US dollars");

export const UsageCostSchema = z
  .object({
    workerRequests: UsdSchema,
    d1RowsRead: UsdSchema,
    d1RowsWritten: UsdSchema,
    durableObjectRequests: UsdSchema,
    queueOperations: UsdSchema,
    r2Storage: UsdSchema,
    total: UsdSchema,
  })
  .describe("At list prices beyond the Workers Paid plan's included usage (see `prices`); CPU time and R2 operations are not metered")
  .openapi("UsageCost");

const count = () => z.number().int();

const UsageCountsSchema = z.object({
  jobs: z
    .object({ submitted: count(), completed: count(), failed: count(), cancelled: count() })
    .describe(
      "Jobs submitted that day, and finishes by outcome (a job sent back that finishes again counts again); the clock counts them a minute or two after they happen",
    ),
  requests: count().describe("Worker invocations: API requests, queue consumer batches (split between their jobs' tenants), Workflow runs (a start, each wake-up), clock ticks"),
  d1: z.object({ queries: count(), rowsRead: count(), rowsWritten: count() }).describe("As D1 reported them for each statement, the ledger's own writes included"),
  durableObjectRequests: count(),
  workflowSteps: count().describe("Workflow steps that ran (a step replayed from its record runs none)"),
  queueOperations: count().describe("Messages written, delivered (each delivery) and acknowledged, one operation per started 64 KB"),
  r2BytesStored: count().describe("The day's peak of hourly snapshots of the bytes stored (uploads and report versions); in `total`, the mean of the days' peaks"),
  cost: UsageCostSchema,
});

export const UsageDaySchema = UsageCountsSchema.extend({ day: z.string().describe("YYYY-MM-DD (UTC)") }).openapi("UsageDay");

export const UsagePricesSchema = z
  .object({
    currency: z.literal("USD"),
    workerRequestPerMillion: z.number(),
    d1RowReadPerMillion: z.number(),
    d1RowWrittenPerMillion: z.number(),
    durableObjectRequestPerMillion: z.number(),
    queueOperationPerMillion: z.number(),
    r2StoragePerGbMonth: z.number(),
    bytesPerGb: z.number(),
    daysPerMonth: z.number().int().describe("A day's storage costs the GB-month price over this many days"),
  })
  .openapi("UsagePrices");

export const UsageSchema = z
  .object({
    tenant: z.string().nullable().describe("Whose usage this is; null: every tenant's, added up (the platform admin key)"),
    from: z.string(),
    to: z.string(),
    days: z.array(UsageDaySchema).describe("One per day from `from` to `to`, oldest first; days with nothing used are zeros"),
    total: UsageCountsSchema,
    prices: UsagePricesSchema,
  })
  .openapi("Usage");

export type UsageDay = z.infer<typeof UsageDaySchema>;
export type UsageCounts = z.infer<typeof UsageCountsSchema>;
export type UsageCost = z.infer<typeof UsageCostSchema>;
export type UsageReport = z.infer<typeof UsageSchema>;
