import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const E2E_ADMIN_KEY = "e2e-admin-key";

/** The origins of the dev servers started here: test/e2e/conformance-setup.ts checks their answers. */
export const platformOrigins = new Set<string>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface DevServer {
  url: string;
  /** The port it listens on (pass it back as `port` to come back at the same address). */
  port: number;
  /** The directory with its persisted local state (D1, R2, Durable Objects, Workflows), for `startDevServer({ state })`. */
  state: string;
  /** Stops it gracefully; deletes its state unless the state was passed in or `keepState` is set. */
  stop(options?: { keepState?: boolean }): Promise<void>;
  /**
   * `kill -9` of the whole dev server at once: the `wrangler` launcher, the wrangler CLI and both
   * workerd processes (the proxy on the public port and the runtime that holds D1, Queues,
   * Workflows and Durable Objects). Resolves once none of them is left. The state stays on disk.
   */
  crash(): Promise<void>;
  output(): string;
}

export interface DevServerOptions {
  /** Wrangler config file (default: the project's). */
  config?: string;
  /** Path probed until it answers 2xx. */
  readyPath?: string;
  vars?: Record<string, string>;
  /**
   * A state directory to run on, e.g. the `state` of a server that crashed: the restart sees the
   * same D1, Workflow instances and Durable Objects. Pending migrations are applied to it (as
   * `npm run dev` does); it is not deleted by `stop()`. Default: a fresh temporary directory.
   */
  state?: string;
  /** Port to listen on (default: a free one). */
  port?: number;
}

/** Process groups of the servers still running: killed if the test process exits without stopping them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

/** Whether a process of the group is still alive (zombies waiting to be reaped do not count). */
function groupAlive(pgid: number): boolean {
  if (process.platform !== "linux") return killGroup(pgid, 0);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Starts `wrangler dev` on a free port with its own fresh local state, migrations applied (or on
 * `options.state`, to come back after `crash()`).
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const ownState = options.state === undefined;
  const state = options.state ?? mkdtempSync(join(tmpdir(), "edge-jobs-dev-"));
  if (!ownState && !existsSync(state)) throw new Error(`no state directory at ${state}`);
  // Run wrangler on this very Node (22), whatever `node` on PATH is.
  const wrangler = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const config = ["--config", options.config ?? "wrangler.toml"];
  execFileSync(process.execPath, [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state, ...config], { env, stdio: "pipe" });
  const [port, inspector] = [options.port ?? (await freePort()), await freePort()];
  const vars = options.vars ?? { ADMIN_API_KEY: E2E_ADMIN_KEY, SIGNING_SECRET: "e2e-signing-secret" };
  // Its own process group (bin/wrangler.js → wrangler-dist/cli.js → two workerd), so that
  // crash() can kill all of it at once: killing only the launcher, or only the CLI, leaves both
  // workerd processes running and serving (orphaned), and killing only the runtime workerd makes
  // wrangler start a new one on the same state within a second.
  const child: ChildProcess = spawn(
    process.execPath,
    [
      wrangler,
      "dev", ...config, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
      "--persist-to", state, ...Object.entries({ ENVIRONMENT: "development", ...vars }).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const pgid = child.pid!;
  liveGroups.add(pgid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => liveGroups.forEach((g) => killGroup(g, "SIGKILL")));
  }
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;

  const crash = async () => {
    killGroup(pgid, "SIGKILL");
    await exited;
    if (!(await groupGone(pgid, 10_000))) throw new Error(`processes of the dev server (group ${pgid}) survived kill -9`);
    liveGroups.delete(pgid);
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      killGroup(pgid, "SIGKILL");
      liveGroups.delete(pgid);
      throw new Error(`wrangler dev exited early:\n${log}`);
    }
    try {
      const res = await fetch(`${url}${options.readyPath ?? "/api/v1/health"}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await crash();
      throw new Error(`wrangler dev did not become ready:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  platformOrigins.add(url);
  return {
    url,
    port,
    state,
    output: () => log,
    crash,
    async stop({ keepState = !ownState } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM"); // the launcher passes it on to wrangler, which stops workerd
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      }
      // Whatever did not stop in time (or was orphaned) goes now.
      killGroup(pgid, "SIGKILL");
      await groupGone(pgid, 5_000);
      liveGroups.delete(pgid);
      if (!keepState) rmSync(state, { recursive: true, force: true });
    },
  };
}
