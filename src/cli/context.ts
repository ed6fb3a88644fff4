// The glue between commander and the client: every command's options, client and error handling.
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { EdgeJobs } from "../client/index";
import { loadCredentials } from "./config";
import { type OutputOptions, UsageError, reportError } from "./output";

export interface Context<O> {
  options: O & OutputOptions;
  args: string[];
  /** Built on first use, so `login` and `--help` need no credentials. */
  client(): EdgeJobs;
}

/** A command's action: it answers its exit code (0 when it answers nothing); errors are reported here. */
export function handler<O = Record<string, unknown>>(fn: (ctx: Context<O>) => Promise<number | void>) {
  return async (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    const options = command.optsWithGlobals() as O & OutputOptions;
    let client: EdgeJobs | undefined;
    const ctx: Context<O> = {
      options,
      args: command.processedArgs.filter((a): a is string => typeof a === "string"),
      client: () => (client ??= clientFrom(loadCredentials())),
    };
    try {
      process.exitCode = (await fn(ctx)) ?? 0;
    } catch (error) {
      process.exitCode = reportError(error, options);
    }
  };
}

export function clientFrom(credentials: { url: string; key: string }): EdgeJobs {
  return new EdgeJobs({ baseUrl: credentials.url, apiKey: credentials.key });
}

/** Every leaf command takes --json. */
export function leaf(parent: Command, spec: string, description: string): Command {
  return parent.command(spec).description(description).option("--json", "machine-readable output on stdout, errors as JSON on stderr");
}

/** JSON given inline, or `@path` to read it from a file. */
export function parseJson(value: string, what: string): unknown {
  let text = value;
  if (value.startsWith("@")) {
    try {
      text = readFileSync(value.slice(1), "utf8");
    } catch (error) {
      throw new UsageError(`cannot read ${what} file ${value.slice(1)}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** An ISO instant, or a duration back from now such as `90s`, `30m`, `1h`, `2d`, `1w`. */
export function parseSince(value: string, now = Date.now()): string {
  const relative = /^(\d+)([smhdw])$/.exec(value.trim());
  if (relative) return new Date(now - Number(relative[1]) * UNITS[relative[2]!]!).toISOString();
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new UsageError(`--since takes an ISO time or a duration such as 1h, not "${value}"`);
  return new Date(at).toISOString();
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
