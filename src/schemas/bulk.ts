import { z } from "@hono/zod-openapi";
import type { JobRow } from "../db/client";
import { JobStatusSchema, PrioritySchema } from "./job";

/** A bulk action: what it does to each job, and the statuses it applies to. */
export const BULK_ACTIONS = {
  cancel: ["queued", "running", "retrying"],
  retry: ["failed", "cancelled"],
} as const satisfies Record<string, readonly JobRow["status"][]>;
export type BulkAction = keyof typeof BULK_ACTIONS;

export const MAX_BULK_IDS = 1_000;
/** Jobs one step of a bulk action handles: a bounded batch, checkpointed before the next. */
export const BULK_BATCH = 100;

export const BulkFilterSchema = z
  .object({
    status: JobStatusSchema.optional(),
    type: z.string().max(100).optional(),
    priority: PrioritySchema.optional(),
    tag: z.string().max(64).optional(),
    createdAfter: z.iso.datetime().optional(),
    createdBefore: z.iso.datetime().optional(),
  })
  .strict()
  .openapi("BulkFilter");
export type BulkFilter = z.infer<typeof BulkFilterSchema>;

/** The statuses a filtered action visits, each one index range; none when its status is one the action cannot change. */
export function bulkStatuses(action: BulkAction, filter: BulkFilter): JobRow["status"][] {
  const eligible: readonly JobRow["status"][] = BULK_ACTIONS[action];
  if (filter.status === undefined) return [...eligible];
  return eligible.includes(filter.status) ? [filter.status] : [];
}
