import { z } from "@hono/zod-openapi";

export const BackoffSchema = z
  .object({
    type: z.enum(["exponential", "linear", "fixed", "fibonacci"]).default("exponential"),
    baseMs: z.number().int().min(0).max(86_400_000).default(1_000),
    maxMs: z.number().int().min(0).max(7 * 86_400_000).default(300_000),
    jitter: z.boolean().default(true).describe("Full jitter (exponential only): a uniform delay in [0, computed]."),
  })
  .openapi("Backoff");

export type Backoff = z.infer<typeof BackoffSchema>;

export const DEFAULT_BACKOFF: Backoff = { type: "exponential", baseMs: 1_000, maxMs: 300_000, jitter: true };

function fibonacci(n: number): number {
  let [a, b] = [1, 1];
  for (let i = 1; i < n; i++) [a, b] = [b, a + b];
  return a;
}

/**
 * Delay before the attempt that follows failed attempt number `attempt` (1-based).
 * `random` is injectable so the policy can be checked exactly.
 */
export function backoffDelay(policy: Backoff, attempt: number, random: () => number = Math.random): number {
  const n = Math.max(1, attempt);
  let delay: number;
  switch (policy.type) {
    case "fixed":
      delay = policy.baseMs;
      break;
    case "linear":
      delay = policy.baseMs * n;
      break;
    case "fibonacci":
      delay = policy.baseMs * fibonacci(n);
      break;
    case "exponential":
      delay = policy.baseMs * 2 ** (n - 1);
      break;
  }
  delay = Math.min(delay, policy.maxMs);
  if (policy.type === "exponential" && policy.jitter) delay = Math.floor(random() * delay);
  return Math.round(delay);
}
