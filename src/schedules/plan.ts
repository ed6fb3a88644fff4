import type { ScheduleRow } from "./store";
import { firstInstantAfter, instantsAfter, instantsBefore } from "./times";

/** An instant older than this when a tick sees it was missed (the platform was down or ticks were lost). */
export const GRACE_MS = 90_000;
/** A tick plans this far ahead: the next tick is due in 60 s, and 10 s of slack covers a late one. */
export const HORIZON_MS = 70_000;
/** Bounds one tick's work per schedule; what is left is planned by the next tick. */
export const MAX_INSTANTS_PER_TICK = 120;

export interface PlannedRun {
  instant: number;
  trigger: "schedule" | "catch_up";
  /** When the job may start: its instant, or now for a missed instant being caught up on. */
  runAt: number;
}

/**
 * The instants a tick at `now` submits for a schedule, from its `nextRunAt` up to `now + HORIZON_MS`,
 * and the `nextRunAt` to store after them. Missed instants are skipped, or the latest
 * `catchUpLimit` of them run now (`catch_up`).
 */
export function planRuns(s: ScheduleRow, now: number): { runs: PlannedRun[]; nextRunAt: number | null } {
  if (s.nextRunAt === null) return { runs: [], nextRunAt: null };
  const missedBefore = now - GRACE_MS;
  const runs: PlannedRun[] = [];
  // Instants after the cursor are still to be planned.
  let cursor = s.nextRunAt - 1;
  if (s.nextRunAt < missedBefore) {
    if (s.misfire === "catch_up") {
      const missed = instantsBefore(s, missedBefore, Math.min(s.catchUpLimit, MAX_INSTANTS_PER_TICK), s.nextRunAt);
      runs.push(...missed.map((instant) => ({ instant, trigger: "catch_up" as const, runAt: now })));
    }
    cursor = missedBefore - 1;
  }
  const due = instantsAfter(s, cursor, MAX_INSTANTS_PER_TICK - runs.length, now + HORIZON_MS);
  runs.push(...due.map((instant) => ({ instant, trigger: "schedule" as const, runAt: instant })));
  const planned = due.at(-1) ?? cursor;
  return { runs, nextRunAt: firstInstantAfter(s, planned) };
}
