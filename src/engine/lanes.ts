export const PRIORITIES = ["critical", "high", "normal", "low"] as const;
export type Priority = (typeof PRIORITIES)[number];

export type LaneBinding = "LANE_CRITICAL" | "LANE_CRITICAL_1" | "LANE_HIGH" | "LANE_HIGH_1" | "LANE_NORMAL" | "LANE_NORMAL_1" | "LANE_LOW" | "LANE_LOW_1";

/**
 * Each priority lane is its own set of queues, so a backlog in one never delays another. A lane is
 * spread over shards by job id: their consumers run side by side, and the lane is not held to one
 * queue's message rate. Adding a shard means adding its queue to wrangler.toml and here.
 */
const LANES: Record<Priority, { queue: string; bindings: readonly LaneBinding[] }> = {
  critical: { queue: "jobs-critical", bindings: ["LANE_CRITICAL", "LANE_CRITICAL_1"] },
  high: { queue: "jobs-high", bindings: ["LANE_HIGH", "LANE_HIGH_1"] },
  normal: { queue: "jobs-normal", bindings: ["LANE_NORMAL", "LANE_NORMAL_1"] },
  low: { queue: "jobs-low", bindings: ["LANE_LOW", "LANE_LOW_1"] },
};

export const LANE_BINDINGS: readonly LaneBinding[] = PRIORITIES.flatMap((p) => LANES[p].bindings);

/** A job's shard: its id ends in random characters, so this spreads jobs evenly. */
function shardOf(jobId: string, shards: number): number {
  return (jobId.charCodeAt(jobId.length - 1) || 0) % shards;
}

/** The binding of the queue that carries `jobId`'s messages in its lane. */
export function laneBinding(lane: Priority, jobId: string): LaneBinding {
  const { bindings } = LANES[lane];
  return bindings[shardOf(jobId, bindings.length)]!;
}

/** The lane a queue (any of its shards) belongs to. */
export function laneOfQueue(queueName: string): Priority | undefined {
  return PRIORITIES.find((p) => queueName === LANES[p].queue || queueName.startsWith(`${LANES[p].queue}-`));
}
