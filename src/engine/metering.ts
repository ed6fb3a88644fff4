import type { WorkflowStep } from "cloudflare:workers";
import { PLATFORM_BINDING, bindingOf, everyDatabase, platformDatabase } from "../db/shards";
import { QUEUE_OPERATION_BYTES } from "../usage/prices";
import { type D1Counts, intercept, meteredDatabase } from "./metered-d1";
import { LANE_BINDINGS } from "./lanes";

export interface Usage extends D1Counts {
  queueMessagesSent: number;
  /** Queues operations: one per started 64 KB of each message written, read or deleted. */
  queueOperations: number;
  /** Requests to Durable Objects: each stub this invocation got serves one call. */
  durableObjectCalls: number;
  workflowsCreated: number;
  /** `step.do` callbacks that ran (a replayed step, answered from its record, runs none). */
  workflowSteps: number;
}

export const noUsage = (): Usage => ({
  d1Queries: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
  d1QueriesUnmetered: 0,
  queueMessagesSent: 0,
  queueOperations: 0,
  durableObjectCalls: 0,
  workflowsCreated: 0,
  workflowSteps: 0,
});

/** The operations one message costs each way (job messages, which carry ids, cost one). */
export function queueOperationsOf(body: unknown): number {
  return Math.max(1, Math.ceil((JSON.stringify(body ?? null)?.length ?? 0) / QUEUE_OPERATION_BYTES));
}

const DURABLE_OBJECTS = ["JOB_EVENTS", "TENANT_FEED", "CLOCK"] as const;

/**
 * Wraps the bindings of one invocation so it can report what it cost: D1 queries and rows (from
 * D1's own answers, src/engine/metered-d1.ts), queue messages, Durable Object requests, Workflow
 * instances. The counts live in the returned object, which lives only as long as the invocation.
 * It costs a Proxy per binding and statement: well under a microsecond a statement.
 */
export function metered(env: Env, usage: Usage = noUsage()): { env: Env; usage: Usage } {
  const queue = (q: Queue): Queue =>
    intercept(q, {
      send: (body: unknown, options?: QueueSendOptions) => {
        usage.queueMessagesSent += 1;
        usage.queueOperations += queueOperationsOf(body);
        return q.send(body, options);
      },
      sendBatch: (messages: MessageSendRequest[], options?: QueueSendBatchOptions) => {
        usage.queueMessagesSent += messages.length;
        for (const m of messages) usage.queueOperations += queueOperationsOf(m.body);
        return q.sendBatch(messages, options);
      },
    });
  const objects = (ns: DurableObjectNamespace): DurableObjectNamespace =>
    intercept(ns, {
      getByName: (name: string) => ((usage.durableObjectCalls += 1), ns.getByName(name)),
      get: (id: DurableObjectId) => ((usage.durableObjectCalls += 1), ns.get(id)),
    });
  const wrapped: Env = {
    ...everyField(env),
    DURABLE_JOB: intercept(env.DURABLE_JOB, {
      create: (options: Parameters<Env["DURABLE_JOB"]["create"]>[0]) => (
        (usage.workflowsCreated += 1), env.DURABLE_JOB.create(options)
      ),
      createBatch: (options: { instances: unknown[] }) => (
        (usage.workflowsCreated += options.instances.length), env.DURABLE_JOB.createBatch(options as never)
      ),
    }),
  };
  const view = wrapped as unknown as Record<string, unknown>;
  for (const name of DURABLE_OBJECTS) view[name] = objects(env[name] as DurableObjectNamespace);
  for (const name of [...LANE_BINDINGS, "WEBHOOKS"] as const) view[name] = queue(env[name]);
  // Every shard, so the invocation is metered whichever database it turns to; then `DB` (and, in
  // a shard's view, the platform's database kept aside) as the metered copies of the same ones.
  const databases = new Map(everyDatabase(env).map(({ binding, db }) => [binding, meteredDatabase(db, usage)]));
  for (const [binding, db] of databases) view[binding] = db;
  view.PLATFORM_DB = databases.get(PLATFORM_BINDING) ?? meteredDatabase(platformDatabase(env), usage);
  view.DB = databases.get(bindingOf(env)) ?? meteredDatabase(env.DB, usage);
  return { env: wrapped, usage };
}

/** Every field of `env`, its prototype's too (an environment made with `Object.create` has them there). */
function everyField(env: Env): Env {
  const fields: Record<string, unknown> = {};
  for (const key in env) fields[key] = (env as unknown as Record<string, unknown>)[key];
  return fields as unknown as Env;
}

/**
 * `step` with each `step.do` callback that runs counted as a Workflow step, and `beforeSleep` run
 * before each sleep. A plain object calling through: `step` may be an RPC stub, whose methods
 * cannot be bound or proxied.
 */
export function meteredSteps(step: WorkflowStep, usage: Usage, beforeSleep: () => Promise<void> = async () => {}): WorkflowStep {
  const steps = step as unknown as { do: (...args: unknown[]) => Promise<unknown> };
  const wrapped = {
    do: (name: string, ...rest: unknown[]) => {
      const callback = rest.pop() as (...args: unknown[]) => unknown;
      const counted = (...args: unknown[]) => ((usage.workflowSteps += 1), callback(...args));
      return steps.do(name, ...rest, counted);
    },
    sleep: async (name: string, duration: WorkflowSleepDuration) => {
      await beforeSleep();
      return step.sleep(name, duration);
    },
    sleepUntil: async (name: string, timestamp: Date | number) => {
      await beforeSleep();
      return step.sleepUntil(name, timestamp);
    },
    waitForEvent: (name: string, options: Parameters<WorkflowStep["waitForEvent"]>[1]) => step.waitForEvent(name, options),
  };
  return wrapped as unknown as WorkflowStep;
}
