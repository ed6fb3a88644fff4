import type { AttemptRow, JobRow } from "../db/client";
import type { Job } from "../schemas/job";
import { viewOfInput } from "../secrets/redact";

export const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const parseOrNull = (text: string | null) => (text === null ? null : JSON.parse(text));

/** A D1 job row as the API shows it: credentials given inline in its input's headers are redacted. */
export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    priority: row.priority,
    input: viewOfInput(row.input),
    result: parseOrNull(row.result),
    error: parseOrNull(row.error),
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    timeoutMs: row.timeoutMs,
    durable: row.durable === 1,
    progress: { percent: row.progressPercent, stage: row.progressStage, message: row.progressMessage },
    tags: JSON.parse(row.tags),
    idempotencyKey: row.idempotencyKey,
    concurrencyKey: row.concurrencyKey,
    debounceKey: row.debounceKey,
    runAt: iso(row.runAt),
    createdAt: iso(row.createdAt),
    startedAt: isoOrNull(row.startedAt),
    finishedAt: isoOrNull(row.finishedAt),
  };
}

export function toAttempt(row: AttemptRow) {
  return {
    series: row.series,
    attempt: row.attempt,
    outcome: row.outcome,
    startedAt: iso(row.startedAt),
    finishedAt: isoOrNull(row.finishedAt),
    durationMs: row.finishedAt === null ? null : row.finishedAt - row.startedAt,
    error: parseOrNull(row.error),
  };
}
