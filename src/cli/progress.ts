// Following a job to its end: a live bar on a terminal, one line per change otherwise (logs, CI).
import cliProgress from "cli-progress";
import type { EdgeJobs, Job, JobEvent, JobStatus } from "../client/index";
import { EXIT } from "./output";

interface State {
  status: JobStatus;
  percent: number;
  stage: string | null;
  message: string | null;
}

export interface Reporter {
  update(state: State): void;
  stop(): void;
}

/** The bar on stderr (stdout stays the result's). */
function barReporter(): Reporter {
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: "{bar} {percentage}% | {status} {stage} {message}", hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { status: "", stage: "", message: "" });
  return {
    update: (s) => bar.update(Math.round(s.percent), { status: s.status, stage: s.stage ?? "", message: s.message ?? "" }),
    stop: () => bar.stop(),
  };
}

/** One line each time what is shown changes. */
function lineReporter(id: string): Reporter {
  let last = "";
  return {
    update(s) {
      const detail = [s.stage, s.message].filter(Boolean).join(": ");
      const line = `${id} ${s.status} ${String(Math.round(s.percent)).padStart(3)}%${detail ? ` ${detail}` : ""}`;
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
    stop() {},
  };
}

const silent: Reporter = { update() {}, stop() {} };

/** A bar on a TTY; lines when not, except with --json, whose consumers read stderr as the error. */
export function reporterFor(id: string, json: boolean | undefined): Reporter {
  if (process.stderr.isTTY) return barReporter();
  return json ? silent : lineReporter(id);
}

function apply(state: State, event: JobEvent): State {
  if (event.type === "snapshot") return { status: event.job.status, ...event.job.progress };
  if (event.type === "progress") return { ...state, percent: event.percent, stage: event.stage, message: event.message };
  return { ...state, status: event.status, percent: event.status === "completed" ? 100 : state.percent };
}

/** Watches the job to its final status, showing progress; answers the finished job. */
export async function follow(client: EdgeJobs, id: string, reporter: Reporter): Promise<Job> {
  let state: State = { status: "queued", percent: 0, stage: null, message: null };
  try {
    for await (const event of client.jobs.watch(id)) {
      state = apply(state, event);
      reporter.update(state);
    }
  } finally {
    reporter.stop();
  }
  return client.jobs.get(id);
}

/** 0 completed, 1 failed, 2 cancelled. */
export function exitCodeOf(job: Job): number {
  if (job.status === "completed") return EXIT.ok;
  return job.status === "cancelled" ? EXIT.cancelled : EXIT.failed;
}
