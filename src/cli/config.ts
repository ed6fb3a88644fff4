// Where the CLI finds its server and key: EDGE_JOBS_URL / EDGE_JOBS_KEY, else the file `login` wrote.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "./output";

export interface Credentials {
  url: string;
  key: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "edge-jobs", "config.json");
}

function readFile(path: string): Partial<Credentials> {
  if (!existsSync(path)) return {};
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<Credentials>;
    return { url: parsed.url, key: parsed.key };
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The environment wins over the file, each value on its own. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const file = readFile(configPath(env));
  const url = env.EDGE_JOBS_URL || file.url;
  const key = env.EDGE_JOBS_KEY || file.key;
  if (!url || !key) {
    throw new UsageError("no server or key: run `edge-jobs login`, or set EDGE_JOBS_URL and EDGE_JOBS_KEY");
  }
  return { url, key };
}

/** Readable by the user alone (0600, in a 0700 directory): the file holds an API key. */
export function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created: an older file keeps its bits otherwise.
  chmodSync(path, 0o600);
  return path;
}
