import { prepareJobs } from "../engine/submit";
import type { JobTypes } from "../jobs/tenant-types";
import { InvalidInputError } from "../errors";
import type { ScheduleJob } from "../schemas/schedule";
import type { ScheduleRow } from "./store";
import { cronOf } from "./times";

type CheckedTiming = Pick<ScheduleRow, "cron" | "intervalMs" | "timezone" | "startsAt" | "endsAt">;
type Checked = CheckedTiming & { job: ScheduleJob };

/** Consecutive run times compared to find a cron's shortest gap: patterns such as `0,1 * * * * *` vary. */
const GAP_SAMPLE = 60;

/** The operator's minimum time between a schedule's runs (SCHEDULE_MIN_INTERVAL_SECONDS), in ms. */
export function minIntervalMs(env: Env): number {
  const seconds = Number(env.SCHEDULE_MIN_INTERVAL_SECONDS);
  if (env.SCHEDULE_MIN_INTERVAL_SECONDS.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`SCHEDULE_MIN_INTERVAL_SECONDS must be a number of seconds, not "${env.SCHEDULE_MIN_INTERVAL_SECONDS}"`);
  }
  return seconds * 1000;
}

/** The zone's IANA name as the runtime spells it, or undefined when the runtime does not know it. */
function canonicalZone(timezone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

function cronProblem(pattern: string, timezone: string): string | undefined {
  let cron;
  try {
    cron = cronOf(pattern, timezone);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  // croner also takes an ISO date as a one-off "pattern"; a schedule needs a repeating one.
  if (cron.getOnce()) return "expected a cron expression of 5 or 6 fields, not a date";
  if (!cron.nextRun()) return "the expression never matches a date";
}

/** The shortest gap between the cron's next GAP_SAMPLE run times from `from`, or undefined if it runs at most once. */
function shortestCronGap(pattern: string, timezone: string, from: number): number | undefined {
  const cron = cronOf(pattern, timezone);
  let shortest: number | undefined;
  let previous: number | undefined;
  for (let i = 0, at = from; i < GAP_SAMPLE; i++) {
    const next = cron.nextRun(new Date(at))?.getTime();
    if (next === undefined) break;
    if (previous !== undefined) shortest = Math.min(shortest ?? Infinity, next - previous);
    previous = at = next;
  }
  return shortest;
}

/** A schedule that would run more often than the operator allows. */
function frequencyIssue(s: CheckedTiming, timezone: string, now: number, minMs: number) {
  const gap = s.intervalMs ?? (s.cron === null ? undefined : shortestCronGap(s.cron, timezone, Math.max(now, s.startsAt ?? now)));
  if (gap === undefined || gap >= minMs) return undefined;
  const path = s.intervalMs === null ? "cron" : "intervalMs";
  return { path, message: `runs as often as every ${gap / 1000} s; a schedule may run at most once every ${minMs / 1000} s` };
}

/**
 * Checks what zod cannot of a schedule's timing: the time zone, the cron expression, how often it
 * runs (at least the operator's minimum interval apart) and the window. Throws an
 * `InvalidInputError` naming every issue; returns the canonical zone name.
 */
export function checkTiming(env: Env, s: CheckedTiming, now: number): string {
  const issues: { path: string; message: string }[] = [];
  const timezone = canonicalZone(s.timezone);
  if (!timezone) issues.push({ path: "timezone", message: `unknown time zone "${s.timezone}"` });
  const problem = s.cron === null ? undefined : cronProblem(s.cron, timezone ?? "UTC");
  if (problem) issues.push({ path: "cron", message: problem });
  const tooOften = timezone && !problem ? frequencyIssue(s, timezone, now, minIntervalMs(env)) : undefined;
  if (tooOften) issues.push(tooOften);
  if (s.startsAt !== null && s.endsAt !== null && s.endsAt <= s.startsAt) {
    issues.push({ path: "endsAt", message: "endsAt must be later than startsAt" });
  }
  if (issues.length > 0 || !timezone) {
    const what = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    throw new InvalidInputError("invalid_schedule", `the schedule was not accepted: ${what}`, issues);
  }
  return timezone;
}

/**
 * `checkTiming`, then the job against its type (with the same messages as a job submission).
 * Throws an `InvalidInputError`; returns the canonical zone name.
 */
export function checkSchedule(env: Env, tenant: string, s: Checked, now: number, types: JobTypes): string {
  const timezone = checkTiming(env, s, now);
  prepareJobs(tenant, [s.job], now, () => "job.", { types });
  return timezone;
}
