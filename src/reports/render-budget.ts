import { type Context, type Emitter, toValue } from "liquidjs";

/**
 * What one template render may use. One Worker isolate serves every tenant's requests on one
 * thread, so a render must not hold that thread for long nor build more than the isolate's
 * 128 MB can hold:
 * - `steps`: LiquidJS renders through generators; every tag, output, expression and loop
 *   iteration is at least one step. A million steps is a few hundred milliseconds of CPU, far
 *   more than a report needs (a 10,000-row table with five columns is about 100,000), and caps
 *   loop iterations across the whole render (nested loops multiply, the count does not reset).
 * - the render gives the thread back to other requests every `SLICE_STEPS` steps (a few
 *   milliseconds), so even a render that runs to a limit delays no one by more than that.
 * - `valueSize`: one range, string or array a tag or filter builds: `(1..30000000)` is refused
 *   before LiquidJS allocates it (a million numbers is ~8 MB).
 * - `memory`: what ranges and filters build in all, counted as LiquidJS counts (characters and
 *   elements, never given back): a render that kept all of it would hold some 16-24 MB. The
 *   output is counted apart (the output limit), and so is the escaping of HTML output.
 * - `timeMs`: wall time, checked whenever the render gives way; a backstop for what the counts
 *   miss (slow filters on large values). The clock of a Worker only moves between such pauses.
 */
export const RENDER_LIMITS = { steps: 1_000_000, valueSize: 1_000_000, memory: 4_000_000, timeMs: 2_000 } as const;
const SLICE_STEPS = 10_000;

export type RenderLimit = "render_steps" | "value_size" | "memory" | "output_size" | "render_time";

const UNITS: Record<RenderLimit, string> = {
  render_steps: "render steps (tags, outputs and loop iterations)",
  value_size: "elements in one range, string or array",
  memory: "characters and elements built by ranges and filters in all",
  output_size: "characters of output",
  render_time: "milliseconds of render time",
};

/** A render stopped at one of its limits; `limit` names it, `max` is its value. */
export class RenderLimitError extends Error {
  constructor(
    readonly limit: RenderLimit,
    readonly max: number,
  ) {
    super(`the template exceeded its limit of ${max} ${UNITS[limit]}`);
    this.name = "RenderLimitError";
  }
}

type Limiter = NonNullable<NonNullable<ConstructorParameters<typeof Context>[3]>["memoryLimit"]>;

/**
 * The use of one render so far. The first limit exceeded stays exceeded: every later step throws
 * it again, so a tag that catches errors cannot render on past it.
 */
export class RenderBudget {
  exceeded: RenderLimitError | null = null;
  private steps = 0;
  private allocated = 0;
  private readonly deadline: number;

  constructor(readonly maxOutput: number) {
    this.deadline = Date.now() + RENDER_LIMITS.timeMs;
  }

  fail(limit: RenderLimit, max: number): never {
    this.exceeded ??= new RenderLimitError(limit, max);
    throw this.exceeded;
  }

  /** Counts a step; true when the render should give way to other requests. */
  step(): boolean {
    if (this.exceeded) throw this.exceeded;
    if (++this.steps > RENDER_LIMITS.steps) this.fail("render_steps", RENDER_LIMITS.steps);
    return this.steps % SLICE_STEPS === 0;
  }

  async giveWay(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (Date.now() > this.deadline) this.fail("render_time", RENDER_LIMITS.timeMs);
  }

  /** Stands in for LiquidJS's memory limiter, which it calls (`use`) before each range and filter result it builds. */
  limiter(): Limiter {
    const use = (count: number) => {
      if (this.exceeded) throw this.exceeded;
      if (!(+count > 0)) return;
      if (+count > RENDER_LIMITS.valueSize) this.fail("value_size", RENDER_LIMITS.valueSize);
      this.allocated += +count;
      if (this.allocated > RENDER_LIMITS.memory) this.fail("memory", RENDER_LIMITS.memory);
    };
    // LiquidJS reads its limiters only through use() and check(); its class has private fields.
    return { use, check: () => {} } as unknown as Limiter;
  }
}

/** As LiquidJS writes a value to its output (arrays joined, null and undefined as nothing). */
export function stringify(value: unknown): string {
  const v = toValue(value);
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(stringify).join("");
  return String(v);
}

/** The render's output, counted as it is written and stopped at the budget's output limit. */
export class BoundedEmitter implements Emitter {
  buffer = "";

  constructor(private readonly budget: RenderBudget) {}

  write(html: unknown): void {
    const text = stringify(html);
    if (this.buffer.length + text.length > this.budget.maxOutput) this.budget.fail("output_size", this.budget.maxOutput);
    this.buffer += text;
  }
}

const isIterator = (value: unknown): value is Iterator<unknown> =>
  typeof value === "object" && value !== null && typeof (value as Iterator<unknown>).next === "function" && typeof (value as Iterator<unknown>).throw === "function";

const isPromise = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === "function";

/**
 * Runs a LiquidJS render generator to its end as LiquidJS's own `toPromise` does (nested
 * generators driven in turn, promises awaited, errors thrown back in), counting every step
 * against the budget and giving way to other requests between slices.
 */
export async function drive(iterator: Iterator<unknown>, budget: RenderBudget): Promise<unknown> {
  let input: unknown;
  let throwing = false;
  for (;;) {
    if (budget.step()) await budget.giveWay();
    const state = throwing ? iterator.throw!(input) : iterator.next(input);
    if (state.done) return state.value;
    throwing = false;
    try {
      input = isIterator(state.value) ? await drive(state.value, budget) : isPromise(state.value) ? await state.value : state.value;
    } catch (err) {
      throwing = true;
      input = err;
    }
  }
}
