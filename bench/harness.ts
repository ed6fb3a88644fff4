// Shared by the import, reports and lists sections: a dev server with its own state and a tenant
// key, plus the small helpers those sections use. Numbers only; nothing here asserts a speed.
import { readFileSync, readdirSync } from "node:fs";
import { type DevServer, startDevServer } from "../test/e2e/dev-server.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const fmt = (n: number, digits = 1) => n.toFixed(digits);
export const MiB = 1024 * 1024;

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export interface Platform {
  server: DevServer;
  key: string;
  /** A request under /api/v1 with the tenant's key; `body` is sent as JSON unless it is already bytes. */
  call(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** The same, answering its JSON, or throwing with the body when the status is not 2xx. */
  api(path: string, body?: unknown, method?: string): Promise<any>;
}

/** A fresh dev server (its own state) started with `vars`, and a key of the tenant "bench". */
export async function startPlatform(admin: string, vars: Record<string, string> = {}): Promise<Platform> {
  const server = await startDevServer({ vars: { ADMIN_API_KEY: admin, SIGNING_SECRET: "bench-signing-secret", ...vars } });
  let key = admin;
  const call: Platform["call"] = (path, init = {}) => {
    const raw = init.body instanceof Uint8Array || typeof init.body === "string";
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...(raw || init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers };
    const body = init.body === undefined ? undefined : raw ? (init.body as BodyInit) : JSON.stringify(init.body);
    return fetch(`${server.url}/api/v1${path}`, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body });
  };
  const api: Platform["api"] = async (path, body, method) => {
    const res = await call(path, { body, method });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method ?? (body === undefined ? "GET" : "POST")} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : null;
  };
  try {
    const made = await api("/keys", { name: "bench", tenant: "bench", scopes: ["jobs:read", "jobs:write", "reports:read", "reports:write"] });
    key = made.key;
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { server, key, call, api };
}

/** Runs `section` on a fresh platform and stops it afterwards, whatever happens. */
export async function withPlatform(admin: string, vars: Record<string, string>, section: (p: Platform) => Promise<void>) {
  const platform = await startPlatform(admin, vars);
  try {
    await section(platform);
  } finally {
    await platform.server.stop();
  }
}

/** Polls a job every `everyMs` until it is finished; answers it and when the client saw it finish. */
export async function waitJob(p: Platform, id: string, timeoutMs = 1_800_000, everyMs = 50): Promise<{ job: any; seenAt: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await p.api(`/jobs/${id}`);
    if (["completed", "failed", "cancelled"].includes(job.status)) return { job, seenAt: performance.now() };
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

function procStat(pid: string): { ppid: number; pgrp: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return null;
  }
}

/**
 * The workerd processes of the dev server listening on `port`: the wrangler launcher is found by
 * its `--port` argument, and it leads its own process group (test/e2e/dev-server.ts starts it
 * detached), in which both workerd processes run.
 */
export function workerdPids(port: number): number[] {
  const pids = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  const cmdline = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      return [];
    }
  };
  const launcher = pids.find((pid) => {
    const args = cmdline(pid);
    const at = args.indexOf("--port");
    return at >= 0 && args[at + 1] === String(port) && args.includes("dev") && procStat(pid)?.pgrp === Number(pid);
  });
  if (!launcher) return [];
  return pids
    .filter((pid) => procStat(pid)?.pgrp === Number(launcher) && /workerd/.test(cmdline(pid)[0] ?? ""))
    .map(Number);
}

function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Samples VmRSS of the given processes every `everyMs`; stop() answers the peak of each and of their sum, in KiB. */
export function sampleRss(pids: number[], everyMs = 200) {
  const peaks = new Map<number, number>(pids.map((pid) => [pid, 0]));
  let peakSum = 0;
  let samples = 0;
  const take = () => {
    let sum = 0;
    for (const pid of pids) {
      const rss = rssKiB(pid);
      sum += rss;
      peaks.set(pid, Math.max(peaks.get(pid)!, rss));
    }
    peakSum = Math.max(peakSum, sum);
    samples += 1;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    now: () => pids.map(rssKiB),
    stop() {
      clearInterval(timer);
      take();
      return { peaks, peakSum, samples };
    },
  };
}
