import type { WorkflowStep } from "cloudflare:workers";
import { type Usage, metered, meteredSteps, noUsage } from "../engine/metering";
import { METERED, PLATFORM_USAGE, meteredOf, recordUsage, shareOut } from "./ledger";

/**
 * One metered invocation of the worker (an API request, a queue consumer batch, a Workflow run, a
 * clock tick): its bindings counted (src/engine/metering.ts), the tenants it worked for, and
 * `record()`, which adds what it used to the usage ledger with one upsert per database it names.
 */
export class Invocation {
  readonly env: Env;
  readonly usage: Usage;
  /** Jobs of each tenant it worked for: a consumer batch's usage is split between them in proportion. */
  readonly tenants = new Map<string, number>();
  /** Worker requests not recorded yet: the invocation itself, unless it is a Durable Object's (counted as such). */
  private requests: number;

  constructor(
    private readonly unmetered: Env,
    private readonly event: string,
    options: { durableObject?: boolean } = {},
  ) {
    ({ env: this.env, usage: this.usage } = metered(unmetered));
    this.requests = options.durableObject ? 0 : 1;
    if (options.durableObject) this.usage.durableObjectCalls += 1;
  }

  /** Attributes its usage to `tenant`, in proportion to `jobs` when it worked for several. */
  add(tenant: string, jobs = 1): void {
    this.tenants.set(tenant, (this.tenants.get(tenant) ?? 0) + jobs);
  }

  /**
   * `step` with its steps counted, and what the run used so far recorded before each sleep: a run
   * that sleeps may go on in a later invocation, and this one's usage must not wait for it. (Outside
   * a step on purpose: each replay records what the replay itself used, never a step's twice.)
   */
  steps(step: WorkflowStep): WorkflowStep {
    return meteredSteps(step, this.usage, () => this.record());
  }

  /** Whether it has used no binding so far (a request is not counted as usage by itself here). */
  idle(): boolean {
    const counts = meteredOf(this.usage, 0);
    return METERED.every((f) => counts[f] === 0);
  }

  /**
   * Adds what it used since the last call to the ledger (and logs it when USAGE_LOG is "true", for
   * bench/). Never throws: a lost usage line must not fail the work it measured.
   */
  async record(details: Record<string, unknown> = {}): Promise<void> {
    const counts = meteredOf(this.usage, this.requests);
    const usage = { ...this.usage };
    Object.assign(this.usage, noUsage());
    this.requests = 0;
    if (METERED.every((f) => counts[f] === 0)) return;
    const weights = this.tenants.size > 0 ? this.tenants : new Map([[PLATFORM_USAGE, 1]]);
    try {
      const ledger = await recordUsage(this.unmetered, shareOut(counts, weights), Date.now());
      if (this.unmetered.USAGE_LOG === "true") console.log(JSON.stringify({ event: this.event, ...details, usage, ledger }));
    } catch (err) {
      console.error(`recording the usage of a ${this.event} failed; it is not in the ledger`, err);
    }
  }
}
