import { prepareJobs } from "../engine/submit";
import { InvalidInputError } from "../errors";
import type { ScheduleJob } from "../schemas/schedule";
import type { ScheduleRow } from "./store";
import { cronOf } from "./times";

type Checked = Pick<ScheduleRow, "cron" | "timezone" | "startsAt" | "endsAt"> & { job: ScheduleJob };

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

/**
 * Checks what zod cannot: the time zone, the cron expression, the window, and the job against its
 * type (with the same messages as a job submission). Throws an `InvalidInputError`; returns the
 * canonical zone name.
 */
export function checkSchedule(tenant: string, s: Checked, now: number): string {
  const issues: { path: string; message: string }[] = [];
  const timezone = canonicalZone(s.timezone);
  if (!timezone) issues.push({ path: "timezone", message: `unknown time zone "${s.timezone}"` });
  const problem = s.cron === null ? undefined : cronProblem(s.cron, timezone ?? "UTC");
  if (problem) issues.push({ path: "cron", message: problem });
  if (s.startsAt !== null && s.endsAt !== null && s.endsAt <= s.startsAt) {
    issues.push({ path: "endsAt", message: "endsAt must be later than startsAt" });
  }
  if (issues.length > 0 || !timezone) throw new InvalidInputError("invalid_schedule", "the schedule was not accepted", issues);
  prepareJobs(tenant, [s.job], now, () => "job.");
  return timezone;
}
