export const PRIORITIES = ["critical", "high", "normal", "low"] as const;
export type Priority = (typeof PRIORITIES)[number];

const QUEUE_NAMES: Record<Priority, string> = {
  critical: "jobs-critical",
  high: "jobs-high",
  normal: "jobs-normal",
  low: "jobs-low",
};

/** Each priority lane is its own Cloudflare Queue, so a backlog in one never delays another. */
export function laneQueue(env: Env, lane: Priority): Queue {
  switch (lane) {
    case "critical":
      return env.LANE_CRITICAL;
    case "high":
      return env.LANE_HIGH;
    case "normal":
      return env.LANE_NORMAL;
    case "low":
      return env.LANE_LOW;
  }
}

export function laneOfQueue(queueName: string): Priority | undefined {
  return PRIORITIES.find((p) => queueName === QUEUE_NAMES[p] || queueName.startsWith(`${QUEUE_NAMES[p]}-`));
}
