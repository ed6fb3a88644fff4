import { describe, expect, it } from "vitest";
import { newId } from "../../src/engine/ids";
import { PRIORITIES, laneBinding, laneOfQueue } from "../../src/engine/lanes";
import { api, newTenant, submit, waitForStatus } from "./helpers";

describe("priority lanes and their queue shards", () => {
  it("keeps every job on its own lane's queues and spreads a lane over both shards", () => {
    for (const lane of PRIORITIES) {
      const counts = new Map<string, number>();
      for (let i = 0; i < 1_000; i++) {
        const binding = laneBinding(lane, newId("job"));
        counts.set(binding, (counts.get(binding) ?? 0) + 1);
      }
      expect([...counts.keys()].sort()).toEqual([`LANE_${lane.toUpperCase()}`, `LANE_${lane.toUpperCase()}_1`]);
      for (const n of counts.values()) expect(n).toBeGreaterThan(350);
    }
  });

  it("maps every shard's queue back to its lane", () => {
    expect(laneOfQueue("jobs-critical")).toBe("critical");
    expect(laneOfQueue("jobs-normal-1")).toBe("normal");
    expect(laneOfQueue("jobs-low-1")).toBe("low");
    expect(laneOfQueue("something-else")).toBeUndefined();
  });

  it("runs jobs of every priority, whichever shard carries them", async () => {
    const { key } = await newTenant();
    const jobs = await Promise.all(
      PRIORITIES.flatMap((priority) => [1, 2, 3].map(() => submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, priority }))),
    );
    for (const job of jobs) expect((await waitForStatus(key, job.id, ["completed"])).status).toBe("completed");
    const lanes = (await (await api("/queues", { key })).json()) as { items: { lane: string; inFlight: number }[] };
    expect(lanes.items.map((l) => l.lane)).toEqual([...PRIORITIES]);
  });
});
