import { z } from "@hono/zod-openapi";
import { type BulkPosition, bulkBatch, countBulk } from "../engine/bulk";
import { BULK_ACTIONS, BulkFilterSchema, MAX_BULK_IDS, bulkStatuses } from "../schemas/bulk";
import { defineJob } from "./define";

export const JobsBulkInput = z
  .object({
    action: z.enum(Object.keys(BULK_ACTIONS) as [keyof typeof BULK_ACTIONS]),
    ids: z.array(z.string().min(1).max(100)).min(1).max(MAX_BULK_IDS).optional().describe("The jobs to act on."),
    filter: BulkFilterSchema.optional().describe("Or every job matching this filter (the statuses the action applies to)."),
    before: z.string().max(100).optional().describe("Leave jobs with ids at or above this alone (those created after the request)."),
  })
  .strict()
  .refine((i) => (i.ids === undefined) !== (i.filter === undefined), { message: "give either ids or filter", path: ["ids"] })
  .refine((i) => !i.filter || bulkStatuses(i.action, i.filter).length > 0, {
    message: "the action does not apply to jobs of this status (cancel: queued, running, retrying; retry: failed, cancelled)",
    path: ["filter", "status"],
  });
export type JobsBulkInput = z.infer<typeof JobsBulkInput>;

const JobsBulkResult = z.object({
  action: JobsBulkInput.shape.action,
  matched: z.number().int().describe("The jobs the selection matched when the action started."),
  changed: z.number().int(),
  skipped: z.number().int().describe("Jobs left as they were (e.g. finished meanwhile)."),
  skips: z.array(z.object({ id: z.string(), reason: z.string() })).max(20).describe("The first skips, with why."),
});

/**
 * Cancels or retries many of the tenant's jobs: named ones, or every one matching a filter. Each
 * batch of 100 is a durable step, so a crash resumes after the last batch done and no job is
 * acted on twice; progress shows how many are done of how many matched at the start.
 */
export const jobsBulk = defineJob({
  type: "jobs.bulk",
  description: "Cancels or retries the tenant's jobs named by id or matching a filter, in batches.",
  input: JobsBulkInput,
  result: JobsBulkResult,
  durable: true,
  retry: { maxAttempts: 5 },
  timeoutMs: 6 * 3_600_000,
  async run(input, ctx) {
    const selection = { ids: input.ids, filter: input.filter, before: input.before, except: ctx.jobId };
    const total = await ctx.step("count", () => countBulk(ctx.env, ctx.tenant, input.action, selection));
    let position: BulkPosition | undefined = { at: 0 };
    let changed = 0;
    let skipped = 0;
    const skips: { id: string; reason: string }[] = [];
    for (let n = 0; position; n++) {
      const from: BulkPosition = position;
      const batch = await ctx.step(`batch ${n}`, () => bulkBatch(ctx.env, ctx.tenant, input.action, selection, from));
      changed += batch.changed;
      skipped += batch.skipped;
      skips.push(...batch.skips.slice(0, 20 - skips.length));
      position = batch.next;
      const done = changed + skipped;
      await ctx.progress(position ? Math.min(99, total === 0 ? 0 : (100 * done) / Math.max(total, done)) : 100, {
        stage: input.action,
        message: `${done} of ${Math.max(total, done)} jobs`,
      });
    }
    ctx.log(`${input.action}: ${changed} changed, ${skipped} left as they were`);
    return { action: input.action, matched: total, changed, skipped, skips };
  },
});
