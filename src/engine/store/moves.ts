import { publishAll } from "../events";
import { publishToFeeds, statusItem } from "../feed";
import type { MovedJob } from "./columns";
import { promote } from "./gates";
import { enqueueJobEvents } from "../../webhooks/events";

/**
 * The one place that acts on the rows a transition moved: watched jobs' subscribers are told the
 * new status (a final one closes their streams), so are the live feeds of tenants watched and the
 * webhooks of tenants that have them, and jobs that held a gate's slot let the next waiting job in. Best effort after the write: D1 already holds the state, and the sweeper
 * promotes what a failure here leaves parked.
 */
export async function afterMoves(env: Env, moved: MovedJob[], now: number, options: { promoted?: boolean } = {}) {
  const at = new Date(now);
  await Promise.all([
    publishAll(
      env,
      moved
        .filter((m) => m.watched === 1)
        .map((m) => ({
          jobId: m.id,
          events: [{ type: "status" as const, status: m.status, attempt: m.attempts, error: m.error === null ? null : JSON.parse(m.error) }],
        })),
    ),
    publishToFeeds(env, moved.filter((m) => m.feed === 1).map((m) => statusItem({ ...m, attempt: m.attempts }, at))),
    announceToWebhooks(env, moved.filter((m) => m.hooked === 1), now),
  ]);
  // A settle promotes in its own batch; the other transitions promote here.
  if (!options.promoted) await promote(env, moved.filter((m) => m.gated === 1).map((m) => m.id), now);
}

async function announceToWebhooks(env: Env, moved: MovedJob[], now: number) {
  if (moved.length === 0) return;
  try {
    await enqueueJobEvents(env, moved, now);
  } catch (err) {
    console.error("recording webhook deliveries failed", err);
  }
}
