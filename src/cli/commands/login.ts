// `edge-jobs login`: checks the server and key, then saves them for later commands.
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { saveCredentials } from "../config";
import { clientFrom, handler, leaf } from "../context";
import { UsageError, print } from "../output";

async function ask(missing: ("url" | "key")[]): Promise<Record<string, string>> {
  if (missing.length === 0) return {};
  if (!process.stdin.isTTY) throw new UsageError(`login needs --${missing.join(" and --")} when stdin is not a terminal`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answers: Record<string, string> = {};
    for (const name of missing) answers[name] = (await rl.question(name === "url" ? "Server URL: " : "API key: ")).trim();
    return answers;
  } finally {
    rl.close();
  }
}

type LoginFlags = { url?: string; key?: string; verify: boolean };

export function registerLogin(program: Command) {
  leaf(program, "login", "save the server URL and API key (EDGE_JOBS_URL and EDGE_JOBS_KEY override them)")
    .option("--url <url>", "the server, e.g. https://jobs.example.com")
    .option("--key <key>", "an API key")
    .option("--no-verify", "save without checking them against the server")
    .action(
      handler<LoginFlags>(async ({ options }) => {
        const missing = (["url", "key"] as const).filter((name) => !options[name]);
        const answers = await ask([...missing]);
        const credentials = { url: options.url ?? answers.url ?? "", key: options.key ?? answers.key ?? "" };
        if (!credentials.url || !credentials.key) throw new UsageError("login needs a URL and a key");
        // A wrong URL or key fails here, with the API's message, rather than at the next command.
        if (options.verify) await clientFrom(credentials).jobs.list({ limit: 1 }).next();
        const path = saveCredentials(credentials);
        print(options, { url: credentials.url, config: path }, () => `logged in to ${credentials.url} (saved to ${path})`);
      }),
    );
}
