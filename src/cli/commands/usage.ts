// `edge-jobs usage`: GET /usage, the tenant's usage per day and its cost at list prices.
import type { Command } from "commander";
import type { Usage } from "../../client/index";
import { handler, leaf } from "../context";
import { print, table } from "../output";

type Flags = { from?: string; to?: string; tenant?: string };

const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toPrecision(2) : n.toFixed(2)}`;

function usageText(usage: Usage): string {
  const row = (day: string, d: Usage["total"]) => [
    day,
    `${d.jobs.completed}/${d.jobs.failed}/${d.jobs.cancelled}`,
    String(d.requests),
    String(d.d1.rowsRead),
    String(d.d1.rowsWritten),
    String(d.durableObjectRequests),
    String(d.workflowSteps),
    String(d.queueOperations),
    String(d.r2BytesStored),
    usd(d.cost.total),
  ];
  const headers = ["DAY", "JOBS OK/FAILED/CANCELLED", "REQUESTS", "D1 READ", "D1 WRITTEN", "DO", "STEPS", "QUEUE OPS", "R2 BYTES", "COST"];
  const days = usage.days.filter((d) => d.requests > 0 || d.r2BytesStored > 0 || d.jobs.submitted > 0);
  return `${table(headers, [...days.map((d) => row(d.day, d)), row("total", usage.total)])}\nat Cloudflare's list prices (USD; CPU time not metered)`;
}

export function registerUsage(program: Command) {
  leaf(program, "usage", "what the platform used for your tenant per day, and its cost (days with nothing used are left out)")
    .option("--from <date>", "first day, YYYY-MM-DD (UTC); default: 29 days before --to")
    .option("--to <date>", "last day, YYYY-MM-DD (UTC); default: today")
    .option("--tenant <tenant>", "the platform's admin key only: one tenant's usage instead of everyone's")
    .action(
      handler<Flags>(async ({ options, client }) => {
        const usage = await client().usage.get({ from: options.from, to: options.to, tenant: options.tenant });
        print(options, usage, () => usageText(usage));
      }),
    );
}
