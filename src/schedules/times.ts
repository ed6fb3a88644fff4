import { Cron } from "croner";
import type { ScheduleRow } from "./store";

/** What decides when a schedule runs. */
export type Timing = Pick<ScheduleRow, "cron" | "timezone" | "intervalMs" | "startsAt" | "endsAt" | "createdAt">;

/**
 * A cron expression of 5 fields, or 6 with seconds, evaluated in an IANA time zone. Without a
 * callback croner starts no timer; it only computes.
 *
 * Across DST changes croner 11 follows Vixie cron:
 * - A fixed time (one value in each of second, minute and hour, e.g. `30 2 * * *`) that does not
 *   exist on a spring-forward day runs once at the first valid time after the gap (02:30 New York on
 *   2027-03-14 runs at 03:00 EDT = 07:00Z); one that occurs twice on a fall-back day runs once, at
 *   its first occurrence (01:30 New York on 2027-11-07 runs at 01:30 EDT = 05:30Z).
 * - Any other pattern (wildcards, steps, ranges or lists there, e.g. `0,30 1 * * *`) skips times in
 *   the gap and runs on both occurrences of a repeated time.
 * Local times stay local: `0 9 * * *` in Europe/Berlin is 08:00Z before 2027-03-28 and 07:00Z after.
 */
export function cronOf(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { timezone, mode: "5-or-6-parts" });
}

/** Interval schedules count from `startsAt`, or else from when they were created. */
const anchorOf = (t: Timing) => t.startsAt ?? t.createdAt;

/** Up to `count` instants later than `after` and no later than `until`, within the schedule's window, ascending. */
export function instantsAfter(t: Timing, after: number, count: number, until = Infinity): number[] {
  const last = Math.min(until, t.endsAt ?? Infinity);
  const from = Math.max(after, (t.startsAt ?? -Infinity) - 1);
  const out: number[] = [];
  if (t.intervalMs !== null) {
    const anchor = anchorOf(t);
    const k = from < anchor ? 0 : Math.floor((from - anchor) / t.intervalMs) + 1;
    for (let at = anchor + k * t.intervalMs; out.length < count && at <= last; at += t.intervalMs) out.push(at);
    return out;
  }
  const cron = cronOf(t.cron!, t.timezone);
  for (let at = from; out.length < count; ) {
    const next = cron.nextRun(new Date(at))?.getTime();
    if (next === undefined || next > last) break;
    out.push(next);
    at = next;
  }
  return out;
}

export const firstInstantAfter = (t: Timing, after: number): number | null => instantsAfter(t, after, 1)[0] ?? null;

/** The latest `count` instants earlier than `before` and no earlier than `notBefore`, within the window, ascending. */
export function instantsBefore(t: Timing, before: number, count: number, notBefore: number): number[] {
  const first = Math.max(notBefore, t.startsAt ?? -Infinity);
  const end = Math.min(before, (t.endsAt ?? Infinity) + 1);
  const out: number[] = [];
  if (t.intervalMs !== null) {
    const anchor = anchorOf(t);
    if (end <= anchor) return out;
    for (let k = Math.ceil((end - anchor) / t.intervalMs) - 1; out.length < count && k >= 0; k--) {
      const at = anchor + k * t.intervalMs;
      if (at < first) break;
      out.push(at);
    }
    return out.reverse();
  }
  if (!Number.isFinite(end)) return out;
  const previous = cronOf(t.cron!, t.timezone).previousRuns(count, new Date(end));
  return previous.map((d) => d.getTime()).filter((at) => at >= first).reverse();
}
