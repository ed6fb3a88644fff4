/**
 * Cloudflare's list prices beyond the Workers Paid plan's included usage, in USD: the one price list
 * of the platform (the usage ledger's costs, GET /api/v1/usage, and bench/cost.ts). Sources:
 * https://developers.cloudflare.com/d1/platform/pricing/, /queues/platform/pricing/ (an operation
 * per 64 KB written, read or deleted: a message costs three), /workers/platform/pricing/,
 * /durable-objects/platform/pricing/, /r2/pricing/ (storage by the day's peak, a GB-month being 30
 * days of it) and /workflows/reference/pricing/ (billed as Workers requests and CPU, with no price
 * per step). CPU time is not in the ledger, so not here. No imports: the bench loads it with `node`.
 */
export const PRICES = {
  /** USD per million units. */
  perMillion: {
    workerRequest: 0.3,
    d1RowRead: 0.001,
    d1RowWritten: 1.0,
    durableObjectRequest: 0.15,
    queueOperation: 0.4,
  },
  r2StoragePerGbMonth: 0.015,
  bytesPerGb: 1e9,
  daysPerMonth: 30,
} as const;

/** The bytes of one queue operation: a message costs one operation per started 64 KB, each way. */
export const QUEUE_OPERATION_BYTES = 64 * 1024;
