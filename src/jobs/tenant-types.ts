import { and, eq, or } from "drizzle-orm";
import { database } from "../db/client";
import { jobHandlers } from "../db/schema";
import type { JobDefinition } from "./define";
import { handlerJob } from "./handler";
import { findJobDefinition } from "./index";

/** The definition of a job type by name, as one tenant sees the types. */
export type JobTypes = (type: string) => JobDefinition | undefined;

/** D1 binds at most 100 parameters to a statement: handlers are looked up this many pairs at a time. */
const PAIRS_PER_QUERY = 45;

async function handlersOf(env: Env, pairs: { tenant: string; type: string }[]) {
  const db = database(env);
  const pages = [];
  for (let i = 0; i < pairs.length; i += PAIRS_PER_QUERY) {
    const page = pairs.slice(i, i + PAIRS_PER_QUERY);
    pages.push(await db.select().from(jobHandlers).where(or(...page.map((p) => and(eq(jobHandlers.tenant, p.tenant), eq(jobHandlers.type, p.type))))));
  }
  return pages.flat();
}

/**
 * The types among `jobs` that are not built in, as their tenants' handlers define them now: one
 * D1 read, and none when every type is built in (the common batch). Keyed by tenant and type.
 */
export async function runnableTypes(env: Env, jobs: readonly { tenant: string; type: string }[]) {
  const key = (tenant: string, type: string) => `${tenant}\n${type}`;
  const wanted = new Map<string, { tenant: string; type: string }>();
  for (const { tenant, type } of jobs) if (!findJobDefinition(type)) wanted.set(key(tenant, type), { tenant, type });
  const handlers = wanted.size === 0 ? [] : await handlersOf(env, [...wanted.values()]);
  const byKey = new Map(handlers.map((row) => [key(row.tenant, row.type), handlerJob(row)]));
  return (job: { tenant: string; type: string }) => findJobDefinition(job.type) ?? byKey.get(key(job.tenant, job.type));
}

/** The job types `tenant` can submit among `types`: the built-in ones and its own handlers'. */
export async function tenantJobTypes(env: Env, tenant: string, types: readonly string[]): Promise<JobTypes> {
  const runnable = await runnableTypes(env, types.map((type) => ({ tenant, type })));
  return (type) => runnable({ tenant, type });
}
