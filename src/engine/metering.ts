import { PLATFORM_BINDING, bindingOf, everyDatabase, platformDatabase } from "../db/shards";
import { LANE_BINDINGS } from "./lanes";

export interface Usage {
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  queueMessagesSent: number;
  durableObjectCalls: number;
  workflowsCreated: number;
}


/** A view of `target` with some methods replaced; everything else is passed through. */
function intercept<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (typeof prop === "string" && prop in overrides) return overrides[prop];
      const value = Reflect.get(t, prop, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}

/**
 * Wraps the bindings of one invocation so it can report what it cost: D1 queries and rows, queue
 * messages, Durable Object calls, Workflow instances. The counts live in the returned object, which
 * lives only as long as the invocation.
 */
export function metered(env: Env): { env: Env; usage: Usage } {
  const usage: Usage = { d1Queries: 0, d1RowsRead: 0, d1RowsWritten: 0, queueMessagesSent: 0, durableObjectCalls: 0, workflowsCreated: 0 };
  const count = <R extends D1Result | D1Result[]>(result: R): R => {
    for (const r of Array.isArray(result) ? result : [result]) {
      usage.d1Queries += 1;
      usage.d1RowsRead += r.meta?.rows_read ?? 0;
      usage.d1RowsWritten += r.meta?.rows_written ?? 0;
    }
    return result;
  };
  const statement = (s: D1PreparedStatement): D1PreparedStatement =>
    intercept(s, {
      bind: (...values: unknown[]) => statement(s.bind(...values)),
      run: async () => count(await s.run()),
      all: async () => count(await s.all()),
    });
  const queue = (q: Queue): Queue =>
    intercept(q, {
      send: (body: unknown, options?: QueueSendOptions) => ((usage.queueMessagesSent += 1), q.send(body, options)),
      sendBatch: (messages: MessageSendRequest[], options?: QueueSendBatchOptions) => (
        (usage.queueMessagesSent += messages.length), q.sendBatch(messages, options)
      ),
    });

  const wrapped: Env = {
    ...env,
    JOB_EVENTS: intercept(env.JOB_EVENTS, {
      getByName: (name: string) => ((usage.durableObjectCalls += 1), env.JOB_EVENTS.getByName(name)),
    }),
    DURABLE_JOB: intercept(env.DURABLE_JOB, {
      create: (options: Parameters<Env["DURABLE_JOB"]["create"]>[0]) => (
        (usage.workflowsCreated += 1), env.DURABLE_JOB.create(options)
      ),
      createBatch: (options: { instances: unknown[] }) => (
        (usage.workflowsCreated += options.instances.length), env.DURABLE_JOB.createBatch(options as never)
      ),
    }),
  };
  for (const name of LANE_BINDINGS) wrapped[name] = queue(env[name]);
  const database = (db: D1Database): D1Database =>
    intercept(db, {
      prepare: (query: string) => statement(db.prepare(query)),
      batch: async (statements: D1PreparedStatement[]) => count(await db.batch(statements)),
    });
  // Every shard, so the invocation is metered whichever database it turns to; then `DB` (and, in
  // a shard's view, the platform's database kept aside) as the metered copies of the same ones.
  const databases = new Map(everyDatabase(env).map(({ binding, db }) => [binding, database(db)]));
  const view = wrapped as Env & Record<string, unknown>;
  for (const [binding, db] of databases) view[binding] = db;
  view.PLATFORM_DB = databases.get(PLATFORM_BINDING) ?? database(platformDatabase(env));
  view.DB = databases.get(bindingOf(env)) ?? database(env.DB);
  return { env: wrapped, usage };
}
