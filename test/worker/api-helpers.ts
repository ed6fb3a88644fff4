import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { everyDatabase } from "../../src/db/shards";
import { expect } from "vitest";
import { createApp } from "../../src/api/app";
import type { Job } from "../../src/schemas/job";
import { api, json } from "./helpers";

export interface ErrorBody {
  code: string;
  message: string;
  details?: { path: string; message: string; code?: string }[];
  requestId: string;
}

/** Asserts the response is the JSON error envelope with `status` (and `code` if given). */
export async function expectError(res: Response, status: number, code?: string): Promise<ErrorBody> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type") ?? "").toContain("application/json");
  const body = JSON.parse(text) as { error: ErrorBody };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.code).toBe("string");
  expect(body.error.code).toMatch(/^[a-z_]+$/);
  if (code !== undefined) expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(typeof body.error.requestId).toBe("string");
  expect(body.error.requestId.length).toBeGreaterThan(0);
  if (body.error.details !== undefined) expect(Array.isArray(body.error.details)).toBe(true);
  return body.error;
}

/** The `path` of every detail entry of an error. */
export const detailPaths = (error: ErrorBody) => (error.details ?? []).map((d) => d.path);

export async function listJobs(key: string, query = ""): Promise<{ items: Job[]; nextCursor: string | null }> {
  return json(await api(`/jobs${query ? `?${query}` : ""}`, { key }), 200);
}

/** Asserts the tenant has no jobs at all. */
export async function expectNoJobs(key: string) {
  const page = await listJobs(key, "limit=200");
  expect(page.items).toEqual([]);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A job that stays queued for an hour (never runs during the test). */
export const later = (extra: Record<string, unknown> = {}) => ({
  type: "simulate",
  input: { steps: 1, stepMs: 0 },
  delayMs: 3_600_000,
  ...extra,
});

export interface CapturedStatement {
  sql: string;
  params: unknown[];
}

/**
 * Sends one request to the real app with the real bindings, recording every SQL statement it
 * prepares on D1 (a pass-through: each statement still runs on the real local D1). Used to get
 * the exact SQL a route issues, to EXPLAIN it.
 */
export async function captureSql(path: string, key: string): Promise<{ res: Response; statements: CapturedStatement[] }> {
  const statements: CapturedStatement[] = [];
  const recording = (db: D1Database) =>
    new Proxy(db, {
      get(target, prop) {
        if (prop === "prepare") {
          return (query: string) => {
            const statement = target.prepare(query);
            const record: CapturedStatement = { sql: query, params: [] };
            statements.push(record);
            return new Proxy(statement, {
              get(stmt, p) {
                if (p === "bind") {
                  return (...params: unknown[]) => {
                    record.params = params;
                    return stmt.bind(...params);
                  };
                }
                const value = Reflect.get(stmt, p, stmt);
                return typeof value === "function" ? value.bind(stmt) : value;
              },
            });
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  // Every shard's binding records: the request finds its tenant's shard in this environment.
  const shards = Object.fromEntries(everyDatabase(env).map(({ binding, db }) => [binding, { value: recording(db) }]));
  const recordingEnv = Object.create(env, shards) as Env;
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`https://jobs.test/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } }),
    recordingEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { res, statements };
}

/** The `detail` lines of `EXPLAIN QUERY PLAN` for a statement, run on the real local D1. */
export async function queryPlan(statement: CapturedStatement): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
    .bind(...statement.params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}
