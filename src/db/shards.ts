/**
 * Tenant data lives in one of several D1 databases (shards), chosen by a stable hash of the tenant,
 * so no single database carries every tenant's jobs. `D1_SHARDS` names the shards' bindings in
 * order ("DB" by default); `DB` also holds the platform-wide table (the clock's state) and is
 * always one of them. Everything a tenant owns (its jobs, keys, settings, files' metadata, schedules)
 * is in its tenant's database, so one statement can check a key and write a job. `TENANT_DATABASES` gives a tenant a database of its own
 * ("acme=DB_ACME,globex=DB_GLOBEX"): the way out for a tenant that outgrows a shard.
 *
 * Nothing here reads a database: a request finds its shard from the tenant alone.
 */

export const PLATFORM_BINDING = "DB";

type ShardConfig = Pick<Env, "DB"> & { D1_SHARDS?: string; TENANT_DATABASES?: string };

function names(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The shards' binding names, in order; a tenant's hash picks one of them. */
export function shardBindings(env: ShardConfig): string[] {
  const shards = names(env.D1_SHARDS);
  return shards.length > 0 ? shards : [PLATFORM_BINDING];
}

/** Tenants given a database of their own, by tenant. */
function dedicated(env: ShardConfig): Map<string, string> {
  const entries = names(env.TENANT_DATABASES).map((pair) => pair.split("=").map((s) => s.trim()) as [string, string]);
  return new Map(entries.filter(([tenant, binding]) => tenant && binding));
}

/** FNV-1a over the tenant's UTF-16 code units: stable across runtimes and releases. */
export function tenantHash(tenant: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tenant.length; i++) {
    hash ^= tenant.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The binding name of the database that holds `tenant`'s data: its own if it has one, else the
 * shard that scores highest for it (rendezvous hashing), so adding a shard moves only the tenants
 * the new shard wins, about one in N+1, and removing one moves only its own.
 */
export function shardOf(env: ShardConfig, tenant: string): string {
  const own = dedicated(env).get(tenant);
  if (own) return own;
  let best = PLATFORM_BINDING;
  let bestScore = -1;
  for (const binding of shardBindings(env)) {
    const score = tenantHash(`${binding}\n${tenant}`);
    if (score > bestScore) [best, bestScore] = [binding, score];
  }
  return best;
}

/** The database bound as `binding`; a name in the configuration without a binding is a deployment error. */
export function databaseNamed(env: ShardConfig, binding: string): D1Database {
  // In a shard's view `DB` stands for that shard; the platform's own `DB` is kept aside.
  const db = binding === PLATFORM_BINDING ? ((env as ShardView).PLATFORM_DB ?? env.DB) : (env as unknown as Record<string, unknown>)[binding];
  if (!db || typeof (db as D1Database).prepare !== "function") {
    throw new Error(`D1 binding ${binding} is named in D1_SHARDS or TENANT_DATABASES but not bound`);
  }
  return db as D1Database;
}

/** Every database that holds tenant data, each once: the shards, then the dedicated databases. */
export function everyDatabase(env: ShardConfig): { binding: string; db: D1Database }[] {
  const bindings = [...new Set([...shardBindings(env), ...dedicated(env).values()])];
  return bindings.map((binding) => ({ binding, db: databaseNamed(env, binding) }));
}

/** The environment as seen by work on `tenant`'s data: `DB` is the tenant's database. */
export function tenantEnv<E extends ShardConfig>(env: E, tenant: string): E {
  return onDatabase(env, shardOf(env, tenant));
}

interface ShardView {
  /** The binding `DB` stands for in this view (queue messages and Workflow params carry it). */
  DB_BINDING?: string;
  PLATFORM_DB?: D1Database;
}

/** The environment with `DB` bound to the database named `binding` (a queue message names it). */
export function onDatabase<E extends ShardConfig>(env: E, binding: string): E {
  if (bindingOf(env) === binding) return env;
  const view: ShardView = { DB_BINDING: binding, PLATFORM_DB: platformDatabase(env) };
  return { ...env, ...view, DB: databaseNamed(env, binding) };
}

/** Which binding `DB` is in `env`. */
export function bindingOf(env: ShardConfig): string {
  return (env as ShardView).DB_BINDING ?? PLATFORM_BINDING;
}

/** The database of the platform-wide tables (the clock), whichever shard's environment this is. */
export function platformDatabase(env: ShardConfig): D1Database {
  return databaseNamed(env, PLATFORM_BINDING);
}

/** Runs `task` on every database's environment, one after another; a failing database does not stop the rest. */
export async function forEveryDatabase<E extends ShardConfig, T>(env: E, task: (shardEnv: E, binding: string) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  const errors: unknown[] = [];
  for (const { binding } of everyDatabase(env)) {
    try {
      results.push(await task(onDatabase(env, binding), binding));
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
  return results;
}
