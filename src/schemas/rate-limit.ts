import { z } from "@hono/zod-openapi";
import { MAX_RATE_WINDOW_MS } from "../engine/rate-limits";

export const RateLimitRuleInput = z
  .object({
    limit: z.number().int().min(1).max(1_000_000),
    windowMs: z.number().int().min(1_000).max(MAX_RATE_WINDOW_MS),
    mode: z.enum(["reject", "throttle"]).default("reject").describe("`reject` answers 429; `throttle` accepts and delays starts."),
  })
  .strict()
  .openapi("RateLimitRuleInput");
