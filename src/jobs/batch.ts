import { z } from "@hono/zod-openapi";
import { and, asc, eq, gte, lt } from "drizzle-orm";
import { database } from "../db/client";
import { batchItems } from "../db/schema";
import { NonRetryableError } from "../engine/errors";
import { jsonChunks } from "../engine/json-chunks";
import { backoffDelay, DEFAULT_BACKOFF, type Backoff } from "../engine/retry";
import { runAttempt } from "../engine/run-attempt";
import { zodDetails } from "../errors";
import { findUpload, uploadKey } from "../uploads/store";
import { type JobContext, type JobDefinition, defineJob, isDurable } from "./define";
// A cycle (the registry lists this type), safe because the lookup happens only when a batch runs.
import { findJobDefinition } from "./index";

export const MAX_BATCH_ITEMS = 100_000;
/** Bytes of an items file read at a time. */
const ITEMS_READ_BYTES = 1024 * 1024;
/** An item's retries wait out its type's backoff, but never longer than this inside a batch. */
const MAX_ITEM_BACKOFF_MS = 10_000;


const BatchInput = z
  .object({
    itemType: z.string().min(1).max(100).describe("The job type that processes one item; it must not be durable."),
    items: z.array(z.unknown()).max(10_000).optional().describe("The items, inline: each is an input of itemType."),
    itemsFromUpload: z.string().min(1).max(64).optional().describe("An uploaded file with one item per line (JSON, or text)."),
    concurrency: z.number().int().min(1).max(50).default(5),
    failFast: z.boolean().default(false).describe("Stop at the first item that fails for good, cancelling the rest."),
  })
  .refine((i) => (i.items === undefined) !== (i.itemsFromUpload === undefined), {
    message: "give exactly one of items and itemsFromUpload",
    path: ["items"],
  })
  .superRefine((input, ctx) => {
    const definition = findJobDefinition(input.itemType);
    if (!definition || input.itemType === "batch") {
      ctx.addIssue({ code: "custom", path: ["itemType"], message: `"${input.itemType}" is not a job type a batch can run` });
      return;
    }
    input.items?.forEach((item, index) => {
      const parsed = definition.input.safeParse(item);
      if (!parsed.success) {
        for (const d of zodDetails(parsed.error)) ctx.addIssue({ code: "custom", path: ["items", index, ...(d.path ? d.path.split(".") : [])], message: d.message });
      } else if (isDurable(definition, parsed.data)) {
        ctx.addIssue({ code: "custom", path: ["items", index], message: "this item would need a durable job; a batch runs items directly" });
      }
    });
  });

const BatchResult = z.object({
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
});

type BatchItemRow = typeof batchItems.$inferSelect;

/** A pending item as a group reads it. */
type Item = Pick<BatchItemRow, "idx" | "input">;

/** What running an item settled: the fields `saveOutcomes` writes to its row. */
type ItemOutcome = Pick<BatchItemRow, "idx" | "result" | "error" | "attempts"> & {
  startedAt: number;
  finishedAt: number;
  status: Extract<BatchItemRow["status"], "succeeded" | "failed">;
};

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line;
  }
}

/** The items of an uploaded file, a range of lines at a time: the file is never held whole. */
async function* uploadedItems(env: Env, tenant: string, uploadId: string): AsyncGenerator<unknown[]> {
  const upload = await findUpload(env, tenant, uploadId);
  if (!upload || upload.status !== "stored" || upload.size === null) throw new NonRetryableError(`upload ${uploadId} not found or not complete`);
  const decoder = new TextDecoder();
  let carry = "";
  for (let offset = 0; offset < upload.size; offset += ITEMS_READ_BYTES) {
    const object = await env.BUCKET.get(uploadKey(tenant, upload.id), { range: { offset, length: Math.min(ITEMS_READ_BYTES, upload.size - offset) } });
    if (!object) throw new Error(`the bytes of upload ${upload.id} are missing`);
    const last = offset + ITEMS_READ_BYTES >= upload.size;
    const text = carry + decoder.decode(new Uint8Array(await object.arrayBuffer()), { stream: !last });
    const lines = text.split("\n");
    carry = last ? "" : lines.pop()!;
    if (carry.length > ITEMS_READ_BYTES) throw new NonRetryableError(`a line of ${upload.name} is longer than ${ITEMS_READ_BYTES} bytes`);
    yield lines.map((l) => l.trim()).filter((l) => l !== "").map(parseLine);
  }
}

async function recordItems(env: Env, jobId: string, first: number, items: unknown[]) {
  const rows = items.map((item, i) => ({ idx: first + i, input: JSON.stringify(item ?? null) }));
  const statements = jsonChunks(rows).map((chunk) =>
    env.DB.prepare(
      `INSERT INTO batch_items (job_id, idx, status, input, attempts)
       SELECT ?1, i.value->>'idx', 'pending', i.value->>'input', 0 FROM json_each(?2) AS i WHERE true
       ON CONFLICT DO NOTHING`,
    ).bind(jobId, chunk),
  );
  for (let i = 0; i < statements.length; i += 50) await env.DB.batch(statements.slice(i, i + 50));
}

/** Runs one item with its type's retry policy: attempts back to back, backoff capped. */
async function runItem(env: Env, definition: JobDefinition, jobId: string, tenant: string, item: Item, signal: AbortSignal): Promise<ItemOutcome> {
  const maxAttempts = definition.retry?.maxAttempts ?? 3;
  const backoff: Backoff = { ...DEFAULT_BACKOFF, ...definition.retry?.backoff };
  const startedAt = Date.now();
  for (let attempt = 1; ; attempt++) {
    let onAbort = () => {};
    const result = await runAttempt(
      definition,
      { id: `${jobId}#${item.idx}`, tenant, attempt, series: 0, input: item.input, timeoutMs: definition.timeoutMs ?? 60_000 },
      {
        env,
        stoppable: (stop) => {
          onAbort = () => stop(signal.reason);
          signal.addEventListener("abort", onAbort);
        },
        progress: async () => {},
        log: () => {},
        step: () => Promise.reject(new NonRetryableError("batch items run directly: ctx.step is not available")),
        sleep: () => Promise.reject(new NonRetryableError("batch items run directly: ctx.sleep is not available")),
      },
    );
    signal.removeEventListener("abort", onAbort);
    const finishedAt = Date.now();
    if (result.ok) return { idx: item.idx, startedAt, finishedAt, status: "succeeded", result: result.result, error: null, attempts: attempt };
    if (!result.error.retryable || attempt >= maxAttempts || signal.aborted) {
      return { idx: item.idx, startedAt, finishedAt, status: "failed", result: null, error: JSON.stringify(result.error), attempts: attempt };
    }
    const delay = Math.min(MAX_ITEM_BACKOFF_MS, Math.max(backoffDelay(backoff, attempt), result.error.retryAfterMs ?? 0));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function saveOutcomes(env: Env, jobId: string, outcomes: ItemOutcome[]) {
  for (const chunk of jsonChunks(outcomes)) {
    await env.DB.prepare(
      `UPDATE batch_items SET status = o.value->>'status', result = o.value->>'result', error = o.value->>'error',
              attempts = o.value->>'attempts', started_at = o.value->>'startedAt', finished_at = o.value->>'finishedAt'
       FROM json_each(?2) AS o WHERE batch_items.job_id = ?1 AND batch_items.idx = o.value->>'idx' AND batch_items.status = 'pending'`,
    )
      .bind(jobId, chunk)
      .run();
  }
}

/** Runs items with at most `concurrency` at once, in index order. */
async function runPool(items: Item[], concurrency: number, run: (item: Item) => Promise<ItemOutcome>, stop: () => boolean) {
  const outcomes: ItemOutcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !stop()) outcomes.push(await run(items[next++]!));
    }),
  );
  return outcomes;
}

type BatchJobInput = z.output<typeof BatchInput>;

/** Records every item as pending, inline or from the upload; returns how many there are. */
async function recordAllItems(ctx: JobContext, input: BatchJobInput): Promise<number> {
  if (input.items) {
    await recordItems(ctx.env, ctx.jobId, 0, input.items);
    return input.items.length;
  }
  let count = 0;
  for await (const items of uploadedItems(ctx.env, ctx.tenant, input.itemsFromUpload!)) {
    if (count + items.length > MAX_BATCH_ITEMS) throw new NonRetryableError(`a batch may have ${MAX_BATCH_ITEMS} items; this file has more`);
    await recordItems(ctx.env, ctx.jobId, count, items);
    count += items.length;
  }
  return count;
}

/** One durable step's work: runs the pending items of [from, to) and records their outcomes. */
async function runGroup(ctx: JobContext, input: BatchJobInput, definition: JobDefinition, from: number, to: number) {
  const results: Item[] = await database(ctx.env)
    .select({ idx: batchItems.idx, input: batchItems.input })
    .from(batchItems)
    .where(and(eq(batchItems.jobId, ctx.jobId), gte(batchItems.idx, from), lt(batchItems.idx, to), eq(batchItems.status, "pending")))
    .orderBy(asc(batchItems.idx));
  let firstFailure: ItemOutcome | undefined;
  // Outcomes are written as items finish, a few at a time, so their status shows while the group runs.
  let unsaved: ItemOutcome[] = [];
  const save = async () => {
    const batch = unsaved;
    unsaved = [];
    if (batch.length > 0) await saveOutcomes(ctx.env, ctx.jobId, batch);
  };
  const outcomes = await runPool(
    results,
    input.concurrency,
    async (item) => {
      const done = await runItem(ctx.env, definition, ctx.jobId, ctx.tenant, item, ctx.signal);
      if (done.status === "failed") firstFailure ??= done;
      unsaved.push(done);
      if (unsaved.length >= Math.max(input.concurrency, 10)) await save();
      return done;
    },
    () => ctx.signal.aborted || (input.failFast && firstFailure !== undefined),
  );
  await save();
  const counts = { succeeded: 0, failed: 0 };
  for (const o of outcomes) counts[o.status] += 1;
  return { ...counts, firstFailure: firstFailure ? { idx: firstFailure.idx, error: firstFailure.error } : null };
}

/** failFast: cancels the items not run yet and fails the batch with the first item that failed. */
async function stopAtFailure(ctx: JobContext, firstFailure: { idx: number; error: string | null }): Promise<never> {
  const cancelled = await ctx.step("cancel the rest", async () => {
    const res = await database(ctx.env)
      .update(batchItems)
      .set({ status: "cancelled", finishedAt: Date.now() })
      .where(and(eq(batchItems.jobId, ctx.jobId), eq(batchItems.status, "pending")));
    return res.meta.changes ?? 0;
  });
  const reason = firstFailure.error ? (JSON.parse(firstFailure.error) as { message: string }).message : "failed";
  throw new NonRetryableError(`item ${firstFailure.idx} failed (${reason}); failFast cancelled ${cancelled} items`);
}

/**
 * Processes a list of items with another (non-durable) job type, each item with its own status,
 * result, error and retries, at most `concurrency` at a time. Items are recorded first; then each
 * durable step runs a group of them and records their outcomes, so a crash or retry resumes with
 * the items not done yet.
 */
export const batch = defineJob({
  type: "batch",
  description: "Runs a job type over a list of items with bounded parallelism; per-item status, result and error.",
  input: BatchInput,
  result: BatchResult,
  durable: true,
  retry: { maxAttempts: 3 },
  timeoutMs: 24 * 3_600_000,
  async run(input, ctx) {
    const definition = findJobDefinition(input.itemType);
    if (!definition) throw new NonRetryableError(`unknown item type ${input.itemType}`);
    const total = await ctx.step("record items", async () => recordAllItems(ctx, input));

    const group = Math.max(50, input.concurrency * 10);
    let succeeded = 0;
    let failed = 0;
    for (let from = 0; from < total; from += group) {
      const to = Math.min(total, from + group);
      const outcome = await ctx.step(`items ${from}-${to - 1}`, async () => runGroup(ctx, input, definition, from, to));
      succeeded += outcome.succeeded;
      failed += outcome.failed;
      await ctx.progress(((succeeded + failed) / total) * 100, { stage: "items", message: `${succeeded + failed} of ${total} items done, ${failed} failed` });
      if (input.failFast && outcome.firstFailure) await stopAtFailure(ctx, outcome.firstFailure);
    }
    return { total, succeeded, failed };
  },
});
