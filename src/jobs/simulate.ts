import { z } from "@hono/zod-openapi";
import { NonRetryableError } from "../engine/errors";
import { defineJob } from "./define";

const SimulateInput = z.object({
  steps: z.number().int().min(1).max(10_000).default(5),
  stepMs: z.number().int().min(0).max(600_000).default(100),
  durable: z.boolean().default(false),
  failUntilAttempt: z.number().int().min(1).optional().describe("Fail every attempt before this one."),
  failAtStep: z.number().int().min(1).optional().describe("Which step fails while failUntilAttempt applies (default: the last)."),
  failRate: z.number().min(0).max(1).optional().describe("Chance that an attempt fails."),
  nonRetryable: z.boolean().default(false).describe("Failures are NonRetryableError."),
  pauseMs: z.number().int().min(0).max(86_400_000).default(0).describe("A durable sleep between steps (durable jobs only)."),
}).refine((input) => input.durable || input.pauseMs === 0, {
  message: "pauseMs is a durable sleep: set durable: true",
  path: ["pauseMs"],
});

const SimulateResult = z.object({
  steps: z.number().int().describe("The steps run."),
  attempt: z.number().int().describe("The attempt that completed."),
});

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** A job for trying the platform, demos and benchmarks: sleeps through steps, reporting progress. */
export const simulate = defineJob({
  type: "simulate",
  description: "Runs `steps` steps of `stepMs` each, reporting progress; can be told to fail.",
  input: SimulateInput,
  result: SimulateResult,
  retry: { maxAttempts: 3 },
  durable: (input) => input.durable,
  async run(input, ctx) {
    const failingStep = input.failAtStep ?? input.steps;
    const shouldFail =
      (input.failUntilAttempt !== undefined && ctx.attempt < input.failUntilAttempt) ||
      (input.failRate !== undefined && Math.random() < input.failRate);
    const fail = () => {
      const message = `simulated failure on attempt ${ctx.attempt}`;
      throw input.nonRetryable ? new NonRetryableError(message) : new Error(message);
    };

    for (let i = 1; i <= input.steps; i++) {
      const work = async () => {
        // Durable steps log when they really run, which shows which steps a retry skipped.
        if (input.durable) ctx.log(`step ${i} ran on attempt ${ctx.attempt}`);
        if (input.stepMs > 0) await wait(input.stepMs, ctx.signal);
        if (shouldFail && i === failingStep) fail();
        return i;
      };
      if (input.durable) await ctx.step(`step-${i}`, work);
      else await work();
      if (input.pauseMs > 0 && i < input.steps) await ctx.sleep(`pause after step ${i}`, input.pauseMs);
      await ctx.progress((i / input.steps) * 100, { stage: `step ${i}/${input.steps}` });
    }
    return { steps: input.steps, attempt: ctx.attempt };
  },
});
