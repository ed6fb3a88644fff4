import { publishAll } from "../events";
import type { MovedJob } from "./columns";
import { promote } from "./gates";

/**
 * The one place that acts on the rows a transition moved: watched jobs' subscribers are told the
 * new status (a final one closes their streams), and jobs that held a gate's slot let the next
 * waiting job in. Best effort after the write: D1 already holds the state, and the sweeper
 * promotes what a failure here leaves parked.
 */
export async function afterMoves(env: Env, moved: MovedJob[], now: number, options: { promoted?: boolean } = {}) {
  await publishAll(
    env,
    moved
      .filter((m) => m.watched === 1)
      .map((m) => ({
        jobId: m.id,
        events: [{ type: "status" as const, status: m.status, attempt: m.attempts, error: m.error === null ? null : JSON.parse(m.error) }],
      })),
  );
  // A settle promotes in its own batch; the other transitions promote here.
  if (!options.promoted) await promote(env, moved.filter((m) => m.gated === 1).map((m) => m.id), now);
}
