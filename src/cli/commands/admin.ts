// `edge-jobs dlq …`, `queues …` and `schedules …`.
import type { Command } from "commander";
import type { CreateSchedule, Job, Schedule } from "../../client/index";
import { handler, leaf, parseJson, parsePositiveInt } from "../context";
import { jobText, take } from "../format";
import { ago, print, table } from "../output";

type DeadLetter = { job: Job; failedAt: string; error: { name: string; message: string } | null };

function registerDlq(program: Command) {
  const dlq = program.command("dlq").description("dead letters: jobs that failed every attempt");
  leaf(dlq, "list", "list dead letters")
    .option("--type <type>", "only this job type")
    .option("-n, --limit <n>", "at most this many", parsePositiveInt, 20)
    .action(
      handler<{ type?: string; limit: number }>(async ({ options, client }) => {
        const items = (await take(client().deadLetters.list({ type: options.type, limit: Math.min(options.limit, 200) }), options.limit)) as DeadLetter[];
        print(options, items, () =>
          items.length === 0
            ? "no dead letters"
            : table(["ID", "TYPE", "FAILED", "ERROR"], items.map((d) => [d.job.id, d.job.type, ago(d.failedAt), d.error?.message ?? "-"])),
        );
      }),
    );
  leaf(dlq, "replay <id>", "queue a dead letter's job again").action(
    handler(async (ctx) => {
      const job = await ctx.client().deadLetters.replay(ctx.args[0]!);
      print(ctx.options, job, () => jobText(job));
    }),
  );
  leaf(dlq, "purge", "discard every dead letter").action(
    handler(async (ctx) => {
      const purged = await ctx.client().deadLetters.purge();
      print(ctx.options, purged, () => `${purged.purged} dead letters purged`);
    }),
  );
}

function registerQueues(program: Command) {
  const queues = program.command("queues").description("the priority lanes (pause and resume take the platform's admin key)");
  leaf(queues, "list", "depth of each lane").action(
    handler(async ({ options, client }) => {
      const lanes = await client().queues.list();
      print(options, lanes, () =>
        table(
          ["LANE", "PAUSED", "DEPTH", "SCHEDULED", "RUNNING"],
          lanes.items.map((l) => [l.lane, l.paused ? "yes" : "no", String(l.depth), String(l.scheduled), String(l.inFlight)]),
        ),
      );
    }),
  );
  for (const verb of ["pause", "resume"] as const) {
    leaf(queues, `${verb} <lane>`, `${verb} a lane (critical, high, normal, low)`).action(
      handler(async (ctx) => {
        const lane = await ctx.client().queues[verb](ctx.args[0]!);
        print(ctx.options, lane, () => `lane ${lane.lane} ${lane.paused ? "paused" : "resumed"}`);
      }),
    );
  }
}

const scheduleRow = (s: Schedule) => [s.id, s.name, s.cron ?? `every ${s.intervalMs} ms`, s.job.type, s.enabled ? "yes" : "no", ago(s.nextRunAt)];

type CreateFlags = { name: string; cron: string; type: string; input: string; timezone: string };

function registerSchedules(program: Command) {
  const schedules = program.command("schedules").description("jobs submitted on a cron schedule");
  leaf(schedules, "list", "list schedules")
    .option("-n, --limit <n>", "at most this many", parsePositiveInt, 50)
    .action(
      handler<{ limit: number }>(async ({ options, client }) => {
        const items = await take(client().schedules.list({ limit: Math.min(options.limit, 200) }), options.limit);
        print(options, items, () => (items.length === 0 ? "no schedules" : table(["ID", "NAME", "WHEN", "TYPE", "ENABLED", "NEXT"], items.map(scheduleRow))));
      }),
    );
  leaf(schedules, "create", "create a schedule")
    .requiredOption("--name <name>", "its name")
    .requiredOption("--cron <expression>", 'e.g. "0 9 * * MON-FRI"')
    .requiredOption("--type <type>", "the job type it submits")
    .option("-i, --input <json|@file>", "the jobs' input", "{}")
    .option("--timezone <zone>", "an IANA time zone", "UTC")
    .action(
      handler<CreateFlags>(async ({ options, client }) => {
        const body = { name: options.name, cron: options.cron, timezone: options.timezone, job: { type: options.type, input: parseJson(options.input, "--input") } };
        const schedule = await client().schedules.create(body as CreateSchedule);
        print(options, schedule, () => `schedule ${schedule.id} created; next runs: ${schedule.nextRuns.slice(0, 3).join(", ") || "-"}`);
      }),
    );
  leaf(schedules, "trigger <id>", "run a schedule now, as a job").action(
    handler(async (ctx) => {
      const job = await ctx.client().schedules.trigger(ctx.args[0]!);
      print(ctx.options, job, () => jobText(job));
    }),
  );
}

export function registerAdmin(program: Command) {
  registerDlq(program);
  registerQueues(program);
  registerSchedules(program);
}
