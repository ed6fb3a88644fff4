// Human renderings of the API's objects (with --json the objects are printed as they came).
import type { Job, JobLogs } from "../client/index";
import { ago, table } from "./output";

export function jobText(job: Job): string {
  const progress = [`${Math.round(job.progress.percent)}%`, job.progress.stage, job.progress.message].filter(Boolean).join(" ");
  const lines: [string, string][] = [
    ["id", job.id],
    ["type", job.type],
    ["status", job.status],
    ["priority", job.priority],
    ["progress", progress],
    ["attempts", `${job.attempts} of ${job.maxAttempts}`],
    ["tags", job.tags.join(", ") || "-"],
    ["created", ago(job.createdAt)],
    ["started", ago(job.startedAt)],
    ["finished", ago(job.finishedAt)],
  ];
  if (job.error) lines.push(["error", `${job.error.name}: ${job.error.message}`]);
  if (job.result !== null && job.result !== undefined) lines.push(["result", JSON.stringify(job.result)]);
  return lines.map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`).join("\n");
}

export function jobsTable(jobs: Job[]): string {
  if (jobs.length === 0) return "no jobs";
  return table(
    ["ID", "TYPE", "STATUS", "PRIORITY", "PROGRESS", "CREATED"],
    jobs.map((j) => [j.id, j.type, j.status, j.priority, `${Math.round(j.progress.percent)}%`, ago(j.createdAt)]),
  );
}

export function logsText(logs: JobLogs): string {
  if (logs.items.length === 0) return "no log lines";
  return logs.items.map((l) => `${ago(l.at)} ${l.level.toUpperCase().padEnd(5)} #${l.attempt} ${l.message}`).join("\n");
}

/** The first `limit` items of a paged listing (it fetches no page beyond them). */
export async function take<T>(items: AsyncIterable<T>, limit: number): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const item of items) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}
