// A schedule as its form holds it (text as typed), and the request bodies made from it: checks what
// the browser can (numbers, JSON), and leaves the cron expression and the time zone to the API.
import { fromLocalInput, toLocalInput } from "../format";
import type { Schedule, ScheduleJob, ScheduleTiming } from "../resource-types";
import type { Priority } from "../types";
import type { Issue } from "./form-field";

export const INTERVAL_UNITS = { seconds: 1_000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
export type IntervalUnit = keyof typeof INTERVAL_UNITS;

export interface ScheduleDraft {
  name: string;
  kind: "cron" | "interval";
  cron: string;
  interval: string;
  unit: IntervalUnit;
  timezone: string;
  startsAt: string;
  endsAt: string;
  jobType: string;
  input: string;
  priority: Priority;
  tags: string;
  maxAttempts: string;
  timeoutMs: string;
  enabled: boolean;
  misfire: "skip" | "catch_up";
  catchUpLimit: string;
}

/** The largest unit that divides the interval, so that a day reads "1 days", not "86400 seconds". */
function intervalParts(ms: number | null): { interval: string; unit: IntervalUnit } {
  if (!ms) return { interval: "", unit: "minutes" };
  const units = Object.entries(INTERVAL_UNITS).reverse() as [IntervalUnit, number][];
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ["seconds", 1_000];
  return { interval: String(ms / size), unit };
}

export function draftOf(schedule?: Schedule): ScheduleDraft {
  const job = schedule?.job;
  return {
    name: schedule?.name ?? "",
    kind: schedule?.intervalMs ? "interval" : "cron",
    cron: schedule?.cron ?? "",
    ...intervalParts(schedule?.intervalMs ?? null),
    timezone: schedule?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC",
    startsAt: toLocalInput(schedule?.startsAt ?? undefined),
    endsAt: toLocalInput(schedule?.endsAt ?? undefined),
    jobType: job?.type ?? "",
    input: JSON.stringify(job?.input ?? {}, null, 2),
    priority: job?.priority ?? "normal",
    tags: (job?.tags ?? []).join(", "),
    maxAttempts: job?.maxAttempts === undefined ? "" : String(job.maxAttempts),
    timeoutMs: job?.timeoutMs === undefined ? "" : String(job.timeoutMs),
    enabled: schedule?.enabled ?? true,
    misfire: schedule?.misfire ?? "skip",
    catchUpLimit: String(schedule?.catchUpLimit ?? 10),
  };
}

/** A whole number typed in a field: undefined when empty, NaN when it is not one. */
function wholeNumber(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isInteger(value) ? value : Number.NaN;
}

/** The timing the preview and the API check, or the issues that keep it from being sent. */
export function timingOf(d: ScheduleDraft): { timing?: ScheduleTiming; issues: Issue[] } {
  const issues: Issue[] = [];
  const timing: ScheduleTiming = { timezone: d.timezone.trim() || "UTC" };
  if (d.kind === "cron") {
    if (d.cron.trim() === "") issues.push({ path: "cron", message: "Enter a cron expression, e.g. 0 9 * * MON-FRI." });
    else timing.cron = d.cron.trim();
  } else {
    const amount = Number(d.interval);
    if (d.interval.trim() === "" || !(amount > 0)) issues.push({ path: "intervalMs", message: "Enter how often it runs, a number above 0." });
    else timing.intervalMs = Math.round(amount * INTERVAL_UNITS[d.unit]);
  }
  const startsAt = fromLocalInput(d.startsAt);
  const endsAt = fromLocalInput(d.endsAt);
  if (startsAt) timing.startsAt = startsAt;
  if (endsAt) timing.endsAt = endsAt;
  return issues.length > 0 ? { issues } : { timing, issues };
}

function jobOf(d: ScheduleDraft, original: ScheduleJob | undefined, issues: Issue[]): ScheduleJob {
  let input: unknown = {};
  try {
    input = d.input.trim() === "" ? {} : JSON.parse(d.input);
  } catch (error) {
    issues.push({ path: "job.input", message: `The input is not valid JSON: ${(error as Error).message}` });
  }
  const job: Record<string, unknown> = {
    ...original,
    type: d.jobType.trim(),
    input,
    priority: d.priority,
    tags: d.tags.split(",").map((tag) => tag.trim()).filter(Boolean),
  };
  if (!job.type) issues.push({ path: "job.type", message: "Enter the job type to submit, e.g. simulate." });
  for (const [field, text] of [["maxAttempts", d.maxAttempts], ["timeoutMs", d.timeoutMs]] as const) {
    const value = wholeNumber(text);
    if (Number.isNaN(value)) issues.push({ path: `job.${field}`, message: "Enter a whole number, or leave it empty for the job type's default." });
    if (value === undefined || Number.isNaN(value)) delete job[field];
    else job[field] = value;
  }
  return job as ScheduleJob;
}

/** The body of POST /schedules, or the issues found before sending it. */
export function createBody(d: ScheduleDraft): { body?: Record<string, unknown>; issues: Issue[] } {
  const { timing, issues } = timingOf(d);
  if (!d.name.trim()) issues.push({ path: "name", message: "Enter a name." });
  const job = jobOf(d, undefined, issues);
  const catchUpLimit = wholeNumber(d.catchUpLimit);
  if (catchUpLimit === undefined || Number.isNaN(catchUpLimit)) issues.push({ path: "catchUpLimit", message: "Enter a whole number from 1 to 100." });
  if (issues.length > 0 || !timing) return { issues };
  return { body: { name: d.name.trim(), ...timing, job, enabled: d.enabled, misfire: d.misfire, catchUpLimit }, issues };
}

/** JSON with sorted keys: two equal jobs compare equal whatever order their fields came in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The body of PATCH /schedules/{id}: only what changed, since a change of timing or job cancels the
 * runs already planned.
 */
export function updateBody(d: ScheduleDraft, original: Schedule): { body?: Record<string, unknown>; issues: Issue[] } {
  const { body: full, issues } = createBody(d);
  if (!full) return { issues };
  const body: Record<string, unknown> = {};
  if (full.name !== original.name) body.name = full.name;
  if (full.cron !== undefined && full.cron !== original.cron) body.cron = full.cron;
  if (full.intervalMs !== undefined && full.intervalMs !== original.intervalMs) body.intervalMs = full.intervalMs;
  if (full.timezone !== original.timezone) body.timezone = full.timezone;
  if (d.startsAt !== toLocalInput(original.startsAt ?? undefined)) body.startsAt = full.startsAt ?? null;
  if (d.endsAt !== toLocalInput(original.endsAt ?? undefined)) body.endsAt = full.endsAt ?? null;
  if (full.misfire !== original.misfire) body.misfire = full.misfire;
  if (full.catchUpLimit !== original.catchUpLimit) body.catchUpLimit = full.catchUpLimit;
  const job = jobOf(d, original.job, []);
  if (stableJson(job) !== stableJson(original.job)) body.job = job;
  return { body, issues };
}

/** When a schedule runs, in words: its cron expression, or "every 5 minutes". */
export function describeWhen(schedule: Pick<Schedule, "cron" | "intervalMs">): string {
  if (schedule.cron) return schedule.cron;
  const { interval, unit } = intervalParts(schedule.intervalMs);
  return interval === "1" ? `every ${unit.slice(0, -1)}` : `every ${interval} ${unit}`;
}
