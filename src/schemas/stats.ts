import { z } from "@hono/zod-openapi";
import { IsoTimestamp } from "./common";

/** The spans /stats counts finishes over and /stats/history draws. */
export const StatsWindowSchema = z.enum(["hour", "day", "week"]);
export type StatsWindow = z.infer<typeof StatsWindowSchema>;

/** A finish is a job entering completed or failed: one that fails again after a retry has finished twice. */
export const WindowCountsSchema = z
  .object({
    completed: z.number().int().describe("times jobs completed in the window"),
    failed: z.number().int().describe("times jobs ended failed in the window: not attempts retried automatically, but a job sent back (retry, bulk retry, replay) that fails again counts each time"),
    perMinute: z.number().describe("finishes (completed and failed) per minute of the window's length"),
    failureRate: z.number().nullable().describe("failed / (completed + failed); null when none finished"),
  })
  .openapi("StatsWindowCounts");
export type WindowCounts = z.infer<typeof WindowCountsSchema>;

export const DurationsSchema = z
  .object({ p50: z.number().nullable(), p95: z.number().nullable(), sample: z.number().int() })
  .openapi("Durations");
export type Durations = z.infer<typeof DurationsSchema>;

export const StatsHistoryQuery = z.object({
  window: StatsWindowSchema.describe("hour: 61 one-minute buckets; day: 25 one-hour buckets; week: 169 one-hour buckets"),
});

export const StatsHistorySchema = z
  .object({
    window: StatsWindowSchema,
    bucketSeconds: z.number().int().describe("60 for the hour, 3600 for the day and the week"),
    points: z
      .array(
        z.object({
          at: IsoTimestamp.describe("the start of the bucket"),
          completed: z.number().int(),
          failed: z.number().int(),
        }),
      )
      .describe("Oldest first, one per bucket, empty ones as zeros; the last is the bucket now in progress."),
  })
  .openapi("StatsHistory");
export type StatsHistory = z.infer<typeof StatsHistorySchema>;
