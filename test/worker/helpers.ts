import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { type Database, database } from "../../src/db/client";
import { everyDatabase, shardOf, tenantEnv } from "../../src/db/shards";
import type { Job } from "../../src/schemas/job";

export const ADMIN_KEY = "test-admin-key";
const BASE = "https://jobs.test/api/v1";

export interface CallOptions {
  method?: string;
  body?: unknown;
  key?: string | null;
  headers?: Record<string, string>;
}

/** Calls the worker's real fetch entry point. */
export async function api(path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? ADMIN_KEY : options.key;
  if (key) headers.set("authorization", `Bearer ${key}`);
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return exports.default.fetch(`${BASE}${path}`, { method: options.method ?? (body ? "POST" : "GET"), headers, body });
}

export async function json<T = any>(res: Response, status?: number): Promise<T> {
  const text = await res.text();
  if (status !== undefined) expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** A fresh tenant (storage is shared by the tests of a file) with a key holding `scopes`. */
export async function newTenant(scopes: string[] = ["jobs:read", "jobs:write"]) {
  const tenant = `t-${crypto.randomUUID().slice(0, 8)}`;
  const created = await json(await api("/keys", { body: { name: "test", tenant, scopes } }), 201);
  return { tenant, key: created.key as string, id: created.id as string };
}

export async function submit(key: string, body: Record<string, unknown>): Promise<Job> {
  return json<Job>(await api("/jobs", { key, body }), 202);
}

export async function getJob(key: string, id: string): Promise<Job> {
  return json<Job>(await api(`/jobs/${id}`, { key }), 200);
}

/** Polls until `check` passes or the time runs out; the job runs on the real local queue. */
export async function waitFor<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

export function waitForStatus(key: string, id: string, statuses: string[], timeoutMs?: number) {
  return waitFor(() => getJob(key, id), (job) => statuses.includes(job.status), timeoutMs);
}

export { env };

/** Uploads a file in one request (its bytes as they are, not JSON) and returns the upload. */
export async function uploadFile(key: string, name: string, contentType: string, body: BodyInit): Promise<{ id: string; size: number }> {
  const res = await exports.default.fetch(`${BASE}/uploads?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": contentType },
    body,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; size: number };
}

/**
 * The tests run with two D1 shards (vitest.config.ts): a tenant's rows are in its own database,
 * found as the worker finds it (src/db/shards.ts).
 */
export function dbOf(tenant: string): D1Database {
  return tenantEnv(env, tenant).DB;
}

/** The environment the worker uses for `tenant`'s data, for calling engine functions directly. */
export function envOf(tenant: string): Env {
  return tenantEnv(env, tenant);
}

/** Rows of `query` from every shard, for rows found by an id rather than a tenant. */
export async function rowsInEveryShard<T = Record<string, unknown>>(query: string, ...params: unknown[]): Promise<T[]> {
  const answers = await Promise.all(everyDatabase(env).map(({ db }) => db.prepare(query).bind(...params).all<T>()));
  return answers.flatMap((a) => a.results);
}

/** `query` run on every shard's database, its rows concatenated. */
export async function fromEveryShard<T>(query: (db: Database) => Promise<T[]>): Promise<T[]> {
  return (await Promise.all(everyDatabase(env).map(({ db }) => query(database({ DB: db }))))).flat();
}

/** `write` run on every shard's database (for rows found by id, whichever shard holds them). */
export async function onEveryShard(write: (db: Database) => Promise<unknown>): Promise<void> {
  for (const { db } of everyDatabase(env)) await write(database({ DB: db }));
}

/** A new tenant whose data shares a shard with `tenant`'s (or, with `same` false, lives in another one). */
export async function tenantBeside(tenant: string, same = true, scopes?: string[]) {
  for (;;) {
    const next = await newTenant(scopes);
    if ((shardOf(env, next.tenant) === shardOf(env, tenant)) === same) return next;
  }
}
