// `edge-jobs upload <file>` and `edge-jobs reports diff`.
import { openAsBlob, statSync } from "node:fs";
import { basename } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { UsageError, print } from "../output";
import { handler, leaf, parsePositiveInt } from "../context";

/** A bar in bytes on a TTY; a line per part otherwise (none with --json). */
function uploadProgress(json: boolean | undefined, total: number) {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: "{bar} {percentage}% | {value}/{total} bytes", hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { onProgress: (sent: number) => bar.update(sent), stop: () => bar.stop() };
  }
  const onProgress = (sent: number) => {
    if (!json) process.stderr.write(`uploaded ${sent} of ${total} bytes (${total === 0 ? 100 : Math.floor((100 * sent) / total)}%)\n`);
  };
  return { onProgress, stop() {} };
}

function registerUpload(program: Command) {
  leaf(program, "upload <file>", "upload a file of any size (multipart, 5 MiB parts) with a progress bar")
    .option("--name <name>", "its name on the server (default: the file's)")
    .option("--content-type <type>", "its media type")
    .action(
      handler<{ name?: string; contentType?: string }>(async ({ args, options, client }) => {
        const path = args[0]!;
        let size: number;
        try {
          size = statSync(path).size;
        } catch (error) {
          throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
        }
        const blob = await openAsBlob(path);
        const progress = uploadProgress(options.json, size);
        try {
          const upload = await client().uploads.upload(blob, { name: options.name ?? basename(path), contentType: options.contentType, onProgress: progress.onProgress });
          print(options, upload, () => `uploaded ${upload.id} (${size} bytes)`);
        } finally {
          progress.stop();
        }
      }),
    );
}

function registerReports(program: Command) {
  const reports = program.command("reports").description("stored reports and their versions");
  leaf(reports, "diff <id> <from> <to>", "the unified diff between two versions of a report")
    .option("-C, --context <lines>", "lines of context", parsePositiveInt)
    .action(
      handler<{ context?: number }>(async ({ args, options, client }) => {
        const [id, from, to] = args as [string, string, string];
        const [a, b] = [from, to].map((v) => parsePositiveInt(v));
        const diff = await client().reports.diff(id, a!, b!, options.context === undefined ? {} : { context: options.context });
        print(options, { id, from: a, to: b, diff }, () => diff || "(no differences)");
      }),
    );
}

export function registerFiles(program: Command) {
  registerUpload(program);
  registerReports(program);
}
