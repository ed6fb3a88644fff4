import { describe, expect, it } from "vitest";
import { databaseNamed, shardBindings, shardOf } from "../../src/db/shards";
import type { JobEvent } from "../../src/engine/events";
import { type EventMessage, closedWithin, watch } from "./engine-helpers";
import { api, env, newTenant, submit } from "./helpers";

const SUBSCRIBERS = 200;

/** A job that never starts by itself (of a tenant on `shard`, if given): the test publishes its events straight to its object. */
async function idleJob(shard?: string) {
  let tenant = await newTenant();
  while (shard !== undefined && shardOf(env, tenant.tenant) !== shard) tenant = await newTenant();
  const { key } = tenant;
  const job = await submit(key, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
  return { key, job };
}

const progress = (percent: number): JobEvent => ({ type: "progress", attempt: 1, percent, stage: `at ${percent}`, message: null, at: new Date().toISOString() });

describe("fanning a job's events out to many subscribers", () => {
  it(`sends ${SUBSCRIBERS} subscribers the same events in order, logs exactly what it sent, and closes them all after the final status`, async () => {
    const { key, job } = await idleJob();
    const watchers = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => watch(key, job.id)));
    const events = env.JOB_EVENTS.getByName(job.id);
    await events.publish([{ type: "status", status: "running", attempt: 1 }]);
    for (const percent of [10, 20, 30, 40, 50]) await events.publish([progress(percent)]);
    // Several events in one publish, and one that rewinds (dropped), as a runner's held-back progress may be.
    await events.publish([progress(60), progress(55), progress(70)]);
    const lastSeq = await events.publish([{ type: "status", status: "completed", attempt: 1 }]);

    const closes = await Promise.all(watchers.map((w) => closedWithin(w, 30_000)));
    expect(closes.every((c) => c.code === 1000)).toBe(true);
    const reference = watchers[0]!.messages.slice(1);
    expect(reference.map((e) => e.type === "progress" ? e.percent : e.status)).toEqual(["running", 10, 20, 30, 40, 50, 60, 70, "completed"]);
    expect(reference.map((e) => e.seq)).toEqual(reference.map((_, i) => i + 1));
    expect(lastSeq).toBe(reference.length);
    for (const w of watchers) {
      expect(w.messages[0]).toMatchObject({ type: "snapshot", seq: 0, job: { status: "queued" } });
      expect(w.messages.slice(1)).toEqual(reference);
    }

    // What the log replays is what the subscribers were sent.
    const replay = await watch(key, job.id, "?after=0");
    await closedWithin(replay);
    expect(replay.messages).toEqual(reference);
    await api(`/jobs/${job.id}/cancel`, { key, method: "POST" });
  });

  it("has logged an event by the time a subscriber receives it: resuming right after it misses nothing", async () => {
    const { key, job } = await idleJob();
    const watchers = await Promise.all(Array.from({ length: 20 }, () => watch(key, job.id)));
    const events = env.JOB_EVENTS.getByName(job.id);
    const resumed: Promise<EventMessage[]>[] = [];
    const last = watchers.at(-1)!;
    // The moment the last subscriber has an event, another one resumes from just before it.
    const seen = new Set<number>();
    last.ws.addEventListener("message", (e) => {
      const { seq } = JSON.parse(String(e.data)) as EventMessage;
      if (seen.has(seq) || seq === 0) return;
      seen.add(seq);
      resumed.push(watch(key, job.id, `?after=${seq - 1}`).then((w) => w.waitForCount(1)));
    });
    for (const percent of [25, 50, 75]) await events.publish([progress(percent)]);
    await last.waitForCount(4);
    const firsts = (await Promise.all(resumed)).map((messages) => messages[0]!);
    expect(firsts.map((m) => [m.type, m.seq, m.percent])).toEqual([
      ["progress", 1, 25],
      ["progress", 2, 50],
      ["progress", 3, 75],
    ]);
    await api(`/jobs/${job.id}/cancel`, { key, method: "POST" });
  });

  it("gives the watchers of a job on any shard its snapshot from that shard, and marks it watched there", async () => {
    expect(shardBindings(env)).toHaveLength(2);
    for (const shard of shardBindings(env)) {
      const { key, job } = await idleJob(shard);
      const watcher = await watch(key, job.id);
      expect(watcher.messages[0] ?? (await watcher.waitForCount(1))[0]).toMatchObject({ type: "snapshot", job: { id: job.id, status: "queued" } });
      const row = await databaseNamed(env, shard).prepare("SELECT watched FROM jobs WHERE id = ?").bind(job.id).first<{ watched: number }>();
      expect(row, shard).toEqual({ watched: 1 });
      await api(`/jobs/${job.id}/cancel`, { key, method: "POST" });
      expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });
    }
  });
});
