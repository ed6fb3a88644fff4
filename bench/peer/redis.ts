// A throwaway Debian `redis-server` on a free loopback port, for the peer section of the bench.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../test/e2e/dev-server.ts";

export interface Redis {
  port: number;
  /** How it keeps its state, as printed in the report. */
  durability: string;
  version: string;
  stop(): Promise<void>;
}

/** The `redis-server` binary on PATH, or null where it is not installed. */
export function findRedisServer(): string | null {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

function redisVersion(binary: string): string {
  const out = execFileSync(binary, ["--version"], { encoding: "utf8" });
  return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
}

/** Answers whether a Redis on `port` says +PONG to PING. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      reply += d;
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

async function waitReady(child: ChildProcess, port: number, log: () => string) {
  const deadline = Date.now() + 15_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited early:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts `redis-server` with its own temporary directory. `durable`: append-only file fsynced every
 * second (`--appendonly yes --appendfsync everysec`); otherwise no persistence at all
 * (`--save "" --appendonly no`).
 */
export async function startRedis(binary: string, durable: boolean): Promise<Redis> {
  const dir = mkdtempSync(join(tmpdir(), "edge-jobs-redis-"));
  const port = await freePort();
  const persistence = durable ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--save", "", "--appendonly", "no"];
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no", ...persistence];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      kill();
      await exited;
    }
    process.removeListener("exit", kill);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(child, port, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  const durability = durable ? "AOF, appendfsync everysec" : "no persistence (--save \"\" --appendonly no)";
  return { port, durability, version: redisVersion(binary), stop };
}
