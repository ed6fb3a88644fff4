import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { platformOrigins } from "../e2e/dev-server";
import { type Exchange, checkExchange } from "../e2e/openapi-conformance";

const BIN = join(import.meta.dirname, "../../dist/cli/edge-jobs.mjs");
const RECORDER = pathToFileURL(join(import.meta.dirname, "record-fetch.mjs")).href;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `edge-jobs` as a user would, with only the given EDGE_JOBS_* / HOME variables set. */
export function edgeJobs(args: string[], env: Record<string, string>): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("EDGE_JOBS_") && k !== "XDG_CONFIG_HOME"));
  // The answers the CLI gets are recorded in the child and checked here, as the tests' own are (test/e2e/conformance-setup.ts).
  const exchanges = join(mkdtempSync(join(tmpdir(), "edge-jobs-exchanges-")), "exchanges.jsonl");
  const recording = { NODE_OPTIONS: [base.NODE_OPTIONS, `--import=${RECORDER}`].filter(Boolean).join(" "), OPENAPI_EXCHANGES_FILE: exchanges };
  const childEnv: Record<string, string | undefined> = { ...base, ...env, ...recording };
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  return new Promise<Run>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => checkRecorded(exchanges).then(() => resolve({ code, stdout, stderr }), reject));
  });
}

async function checkRecorded(file: string): Promise<void> {
  const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  for (const line of lines) await checkExchange(JSON.parse(line) as Exchange, platformOrigins);
  rmSync(dirname(file), { recursive: true, force: true });
}
