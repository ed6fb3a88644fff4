import { vi } from "vitest";
import { tickAMinuteLater } from "./engine-helpers";
import { api, dbOf, json, uploadFile, waitForStatus } from "./helpers";

export const DAY = 86_400_000;

/** Noon (UTC) of the current day: tests pin the worker's clock there, so a window never moves under them. */
export const noonToday = () => Math.floor(Date.now() / DAY) * DAY + DAY / 2;

/** One logged search, as GET /search writes it. */
export interface LogEntry {
  query: string;
  at: number;
  results: number;
  collection?: string;
}

/** Writes a generated query log straight into the tenant's `search_log`, as the search route would have. */
export async function insertLog(tenant: string, entries: LogEntry[]): Promise<void> {
  const rows = entries.map((e, i) => [e.at, i, e.query, e.collection ?? null, e.results]);
  for (let i = 0; i < rows.length; i += 2_000) {
    await dbOf(tenant)
      .prepare(
        `INSERT INTO search_log (tenant, at, seq, query, collection, results)
         SELECT ?1, j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4 FROM json_each(?2) j`,
      )
      .bind(tenant, JSON.stringify(rows.slice(i, i + 2_000)))
      .run();
  }
}

/** Runs the clock's tick until the search analytics task has nothing left (each tick is bounded). */
export async function foldAll(ticks = 1): Promise<void> {
  for (let i = 0; i < ticks; i++) await tickAMinuteLater();
}

/** `read` with the worker's clock pinned at `at`. */
export async function at<T>(time: number, read: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["Date"], now: time });
  try {
    return await read();
  } finally {
    vi.useRealTimers();
  }
}

export async function getJson<T = any>(key: string, path: string): Promise<T> {
  return json<T>(await api(path, { key }), 200);
}

/** Uploads and ingests a text document into the tenant's `handbook` collection. */
export async function ingestText(key: string, name: string, text: string): Promise<void> {
  const file = await uploadFile(key, name, "text/plain", text);
  const doc = await json(await api("/documents", { key, body: { uploadId: file.id, collection: "handbook" } }), 202);
  await waitForStatus(key, doc.jobId, ["completed"]);
}

export async function search(key: string, q: string) {
  return json<{ items: unknown[] }>(await api(`/search?q=${encodeURIComponent(q)}`, { key }), 200);
}

/** A small seeded generator (mulberry32): the same log for the same seed. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
