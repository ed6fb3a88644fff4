// `edge-jobs jobs …`: submit, list, get, watch, cancel, retry, logs (bulk actions: bulk.ts).
import { type Command, Option } from "commander";
import type { JobFilters, SubmitOptions } from "../../client/index";
import { type Context, collect, handler, leaf, parseJson, parsePositiveInt } from "../context";
import { jobText, jobsTable, logsText, take } from "../format";
import { print } from "../output";
import { exitCodeOf, follow, reporterFor } from "../progress";
import { registerBulk } from "./bulk";

const PRIORITIES = ["critical", "high", "normal", "low"];
const STATUSES = ["queued", "running", "retrying", "completed", "failed", "cancelled"];

type SubmitFlags = { input?: string; priority?: string; maxAttempts?: number; tag?: string[]; delay?: number; idempotencyKey?: string; watch?: boolean };

/** Prints the finished job and answers 0, 1 or 2 by its status. */
async function watchToEnd(ctx: Context<unknown>, id: string): Promise<number> {
  const job = await follow(ctx.client(), id, reporterFor(id, ctx.options.json));
  print(ctx.options, job, () => jobText(job));
  return exitCodeOf(job);
}

async function submit(ctx: Context<SubmitFlags>): Promise<number> {
  const { options } = ctx;
  const input = options.input === undefined ? {} : parseJson(options.input, "--input");
  const submitOptions: SubmitOptions = {
    priority: options.priority as SubmitOptions["priority"],
    maxAttempts: options.maxAttempts,
    tags: options.tag,
    delayMs: options.delay,
    idempotencyKey: options.idempotencyKey,
  };
  const job = await ctx.client().jobs.submit(ctx.args[0]!, input, submitOptions);
  if (options.watch) return watchToEnd(ctx, job.id);
  print(options, job, () => jobText(job));
  return 0;
}

function registerSubmit(jobs: Command) {
  leaf(jobs, "submit <type>", "submit a job; with --watch, follow it and exit 0 completed, 1 failed, 2 cancelled")
    .option("-i, --input <json|@file>", "the job's input: JSON, or @path of a JSON file", "{}")
    .addOption(new Option("-p, --priority <priority>", "its lane").choices(PRIORITIES))
    .option("--max-attempts <n>", "tries in all before it fails", parsePositiveInt)
    .option("-t, --tag <tag>", "a tag (repeatable)", collect)
    .option("--delay <ms>", "run no sooner than this many ms from now", parsePositiveInt)
    .option("--idempotency-key <key>", "a repeated key answers the existing job")
    .option("-w, --watch", "follow it to its end with a progress bar")
    .action(handler<SubmitFlags>(submit));
}

type ListFlags = { status?: string; type?: string; tag?: string; limit: number };

function registerReads(jobs: Command) {
  leaf(jobs, "list", "list jobs, newest first")
    .addOption(new Option("-s, --status <status>").choices(STATUSES))
    .option("--type <type>", "only this job type")
    .option("-t, --tag <tag>", "only jobs with this tag")
    .option("-n, --limit <n>", "at most this many", parsePositiveInt, 20)
    .action(
      handler<ListFlags>(async ({ options, client }) => {
        const filters = { status: options.status, type: options.type, tag: options.tag, limit: Math.min(options.limit, 200) } as JobFilters;
        const items = await take(client().jobs.list(filters), options.limit);
        print(options, items, () => jobsTable(items));
      }),
    );
  leaf(jobs, "get <id>", "show a job").action(
    handler(async (ctx) => {
      const job = await ctx.client().jobs.get(ctx.args[0]!);
      print(ctx.options, job, () => jobText(job));
    }),
  );
  leaf(jobs, "watch <id>", "follow a job to its end; exit 0 completed, 1 failed, 2 cancelled").action(
    handler((ctx) => watchToEnd(ctx, ctx.args[0]!)),
  );
  leaf(jobs, "logs <id>", "a job's log lines").action(
    handler(async (ctx) => {
      const logs = await ctx.client().jobs.logs(ctx.args[0]!);
      print(ctx.options, logs, () => logsText(logs));
    }),
  );
}

function registerChanges(jobs: Command) {
  for (const verb of ["cancel", "retry"] as const) {
    leaf(jobs, `${verb} <id>`, verb === "cancel" ? "cancel a job" : "run a failed or cancelled job again").action(
      handler(async (ctx) => {
        const job = await ctx.client().jobs[verb](ctx.args[0]!);
        print(ctx.options, job, () => jobText(job));
      }),
    );
  }
}

export function registerJobs(program: Command) {
  const jobs = program.command("jobs").description("submit, follow and manage jobs");
  registerSubmit(jobs);
  registerReads(jobs);
  registerChanges(jobs);
  registerBulk(jobs, watchToEnd);
}
