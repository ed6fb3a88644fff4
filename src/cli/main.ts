// `edge-jobs`: the command line of the Edge Jobs API, built on the client (src/client/) and bundled
// into dist/cli/edge-jobs.mjs by scripts/build-cli.mjs. Exit codes: output.ts EXIT (README "CLI").
import { Command, CommanderError } from "commander";
import { registerAdmin } from "./commands/admin";
import { registerFiles } from "./commands/files";
import { registerJobs } from "./commands/jobs";
import { registerLogin } from "./commands/login";
import { registerUsage } from "./commands/usage";
import { EXIT, reportError } from "./output";

declare const EDGE_JOBS_VERSION: string;

function program(json: boolean): Command {
  const root = new Command("edge-jobs")
    .description("Submit, follow and manage Edge Jobs from the command line")
    .version(EDGE_JOBS_VERSION)
    .option("--json", "machine-readable output on stdout, errors as JSON on stderr")
    .showHelpAfterError(!json)
    // Set before the subcommands are added: they copy these settings.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(json ? `${JSON.stringify({ error: { status: 0, code: "usage", message: text.replace(/^error: /, "").trim() } })}\n` : text),
    });
  registerLogin(root);
  registerJobs(root);
  registerAdmin(root);
  registerFiles(root);
  registerUsage(root);
  return root;
}

async function main(argv: string[]) {
  const json = argv.includes("--json");
  try {
    await program(json).parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; usage errors were already printed by commander.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.error;
      return;
    }
    process.exitCode = reportError(error, { json });
  }
}

await main(process.argv.slice(2));
