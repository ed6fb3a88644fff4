import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const E2E_ADMIN_KEY = "e2e-admin-key";

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
  stop(): Promise<void>;
  output(): string;
}

export interface DevServerOptions {
  /** Wrangler config file (default: the project's). */
  config?: string;
  /** Path probed until it answers 2xx. */
  readyPath?: string;
  vars?: Record<string, string>;
}

/** Starts `wrangler dev` on a free port with its own fresh local state, migrations applied. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const state = mkdtempSync(join(tmpdir(), "edge-jobs-dev-"));
  // Run wrangler on this very Node (22), whatever `node` on PATH is.
  const wrangler = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const config = ["--config", options.config ?? "wrangler.toml"];
  execFileSync(process.execPath, [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state, ...config], { env, stdio: "pipe" });
  const [port, inspector] = [await freePort(), await freePort()];
  const vars = options.vars ?? { ADMIN_API_KEY: E2E_ADMIN_KEY, SIGNING_SECRET: "e2e-signing-secret" };
  const child: ChildProcess = spawn(
    process.execPath,
    [
      wrangler,
      "dev", ...config, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
      "--persist-to", state, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log}`);
    try {
      const res = await fetch(`${url}${options.readyPath ?? "/api/v1/health"}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not become ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}
