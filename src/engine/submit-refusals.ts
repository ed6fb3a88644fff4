// The refusals of a submission whose D1 batch wrote nothing, read from the batch's results (submit.ts).
import type { JobRow } from "../db/client";
import { ConflictError, RateLimitedError } from "../errors";
import { type RateReport, overLimit, rateLimitHeaders } from "./rate-limits";
import type { PreparedJob } from "./submit";

/** A debounce key already holds a queued job of another type or durability: nothing was written. */
export function refuseDebounceClash(rows: PreparedJob[], queuedByDebounceKey: Map<string, JobRow>) {
  const clashes = rows.flatMap((row, index) => {
    const queued = row.debounceKey ? queuedByDebounceKey.get(row.debounceKey) : undefined;
    if (!queued || (queued.type === row.type && queued.durable === row.durable)) return [];
    const what = `${queued.durable ? "durable " : ""}${queued.type}`;
    return [{ index, debounceKey: row.debounceKey, message: `debounce key "${row.debounceKey}" holds a queued ${what} job (${queued.id})`, jobId: queued.id }];
  });
  if (clashes.length > 0) {
    throw new ConflictError("debounce_conflict", `${clashes[0]!.message}: a debounced job merges only into a queued job of the same type and durability`, clashes);
  }
}

/** A rate limit refuses the submission: nothing was written. */
export function refuseOverLimit(reports: RateReport[], rows: PreparedJob[], earlier: (row: PreparedJob) => JobRow | undefined, now: number) {
  const rejected = overLimit(reports);
  // Repeats of earlier submissions (idempotent, or merged into a debounced job) add nothing to refuse.
  if (!rejected || rows.every((row) => earlier(row) !== undefined)) return;
  const headers = rateLimitHeaders(reports, now, rejected);
  const message = rejected.n > rejected.limit
    ? `${rejected.n} submissions can never fit in a limit of ${rejected.limit} per ${rejected.windowMs} ms`
    : `rate limit reached for ${rejected.action}${rejected.key ? ` (${rejected.key})` : ""}: ${rejected.limit} per ${rejected.windowMs} ms`;
  throw new RateLimitedError(message, { action: rejected.action, key: rejected.key, limit: rejected.limit, windowMs: rejected.windowMs }, (rejected.freeAt ?? now + rejected.windowMs) - now, headers);
}
