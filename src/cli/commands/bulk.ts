// `edge-jobs jobs bulk cancel|retry`: POST /jobs/bulk with a filter, counted (--dry-run) or watched to its end.
import { type Command, Option } from "commander";
import type { JobInputs } from "../../client/index";
import { type Context, handler, leaf, parseSince } from "../context";
import { print } from "../output";

type BulkFlags = { status?: string; type?: string; tag?: string; since?: string; dryRun?: boolean };
type Watch = (ctx: Context<unknown>, id: string) => Promise<number>;

function filterOf(options: BulkFlags) {
  return {
    status: options.status,
    type: options.type,
    tag: options.tag,
    createdAfter: options.since === undefined ? undefined : parseSince(options.since),
  } as NonNullable<JobInputs["jobs.bulk"]["filter"]>;
}

export function registerBulk(jobs: Command, watchToEnd: Watch) {
  const bulk = jobs.command("bulk").description("cancel or retry every job matching a filter");
  for (const action of ["cancel", "retry"] as const) {
    const statuses = action === "cancel" ? ["queued", "running", "retrying"] : ["failed", "cancelled"];
    leaf(bulk, action, `${action} the matching jobs (${statuses.join(", ")}); --dry-run counts them`)
      .addOption(new Option("-s, --status <status>").choices(statuses))
      .option("--type <type>", "only this job type")
      .option("-t, --tag <tag>", "only jobs with this tag")
      .option("--since <when>", "created at or after: an ISO time, or a duration back from now (30m, 1h, 2d)")
      .option("--dry-run", "print how many jobs it would change, and change nothing")
      .action(
        handler<BulkFlags>(async (ctx) => {
          const body = { action, filter: filterOf(ctx.options) };
          if (ctx.options.dryRun) {
            const counted = await ctx.client().bulk.count(body);
            print(ctx.options, counted, () => `${counted.matched} jobs would be ${action === "cancel" ? "cancelled" : "retried"}`);
            return 0;
          }
          const job = await ctx.client().bulk.start(body);
          if (!ctx.options.json) process.stderr.write(`bulk ${action}: job ${job.id}\n`);
          return watchToEnd(ctx, job.id);
        }),
      );
  }
}
