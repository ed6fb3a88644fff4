import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeJson } from "../../src/api/base64url-json";
import { hmac } from "../../src/crypto";
import type { JobEvents } from "../../src/durable/job-events";
import { expectError } from "./api-helpers";
import { closedWithin, readSse, watch } from "./engine-helpers";
import { api, env, json, newTenant, submit, waitForStatus } from "./helpers";

const eventsUrl = (id: string, query = "") => `https://jobs.test/api/v1/jobs/${id}/events${query}`;

/** A job that starts a moment from now, so a watcher can subscribe before it runs. */
const soon = (input: Record<string, unknown> = {}) => ({
  type: "simulate",
  input: { steps: 3, stepMs: 100, ...input },
  delayMs: 1_000,
});

function expectStrictlyIncreasing(seqs: number[]) {
  for (let i = 1; i < seqs.length; i++) expect(seqs[i], `seqs ${seqs.join(",")}`).toBeGreaterThan(seqs[i - 1]!);
}

function sse(key: string, id: string, headers: Record<string, string> = {}, query = "") {
  return exports.default.fetch(eventsUrl(id, query), {
    headers: { Accept: "text/event-stream", Authorization: `Bearer ${key}`, ...headers },
  });
}

describe("watching a job over a websocket", () => {
  it("sends a snapshot, then progress and status with increasing seq, then closes with 1000", async () => {
    const { key } = await newTenant();
    const job = await submit(key, soon());
    const watcher = await watch(key, job.id);
    const { code } = await closedWithin(watcher);
    expect(code).toBe(1000);

    const [snapshot, ...events] = watcher.messages;
    expect(snapshot).toMatchObject({ type: "snapshot", seq: 0, job: { id: job.id, status: "queued", attempts: 0 } });
    expectStrictlyIncreasing([snapshot!.seq, ...events.map((e) => e.seq)]);
    expect(events[0]!.seq).toBe(snapshot!.seq + 1);
    expect(events.map((e) => [e.type, e.status ?? Math.round(e.percent)])).toEqual([
      ["status", "running"],
      ["progress", 33],
      ["progress", 67],
      ["progress", 100],
      ["status", "completed"],
    ]);
    for (const e of events) {
      expect(e.attempt).toBe(1);
      expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    }
    expect(await waitForStatus(key, job.id, ["completed"])).toMatchObject({ status: "completed" });
  });

  it("tells the watchers of a failing job about each retry and the final failure", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      ...soon({ steps: 1, stepMs: 0, failUntilAttempt: 10 }),
      maxAttempts: 2,
      backoff: { type: "fixed", baseMs: 0 },
    });
    const watcher = await watch(key, job.id);
    expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });
    const statuses = watcher.messages.filter((m) => m.type === "status").map((m) => [m.status, m.attempt]);
    expect(statuses).toEqual([
      ["running", 1],
      ["retrying", 1],
      ["running", 2],
      ["failed", 2],
    ]);
    expect(watcher.messages.at(-1)).toMatchObject({ error: { name: "Error", message: "simulated failure on attempt 2" } });
  });

  it("fans the same events out to 50 subscribers", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { ...soon(), delayMs: 2_000 });
    const watchers = await Promise.all(Array.from({ length: 50 }, () => watch(key, job.id)));
    const codes = await Promise.all(watchers.map((w) => closedWithin(w, 30_000)));
    expect(codes.every((c) => c.code === 1000)).toBe(true);

    const earliest = watchers.reduce((a, b) => (b.messages[0]!.seq < a.messages[0]!.seq ? b : a));
    const reference = earliest.messages.filter((m) => m.type !== "snapshot");
    expect(reference.map((e) => e.type)).toEqual(["status", "progress", "progress", "progress", "status"]);
    for (const w of watchers) {
      const [snapshot, ...events] = w.messages;
      expect(snapshot).toMatchObject({ type: "snapshot", job: { id: job.id } });
      // Each one sees every event published after it subscribed (normally all of them), ending with the final status.
      expect(events).toEqual(reference.filter((e) => e.seq > snapshot!.seq));
      expect(events.at(-1)).toMatchObject({ type: "status", status: "completed" });
    }
  });

  it("on reconnect with ?after=<seq>, sends exactly the missed events first", async () => {
    const { key } = await newTenant();
    const job = await submit(key, soon({ steps: 4, stepMs: 200 }));
    const full = await watch(key, job.id);
    const leaving = await watch(key, job.id);
    // The second watcher leaves after the first progress event.
    const firstProgress = await leaving.waitFor((m) => m.type === "progress");
    leaving.ws.close(1000, "bye");
    await closedWithin(full);

    const events = full.messages.filter((m) => m.type !== "snapshot");
    const missed = events.filter((e) => e.seq > firstProgress.seq);
    expect(missed.length).toBeGreaterThan(1);

    const back = await watch(key, job.id, `?after=${firstProgress.seq}`);
    expect(await closedWithin(back)).toMatchObject({ code: 1000 });
    expect(back.messages).toEqual(missed);
    expect(back.messages.some((m) => m.type === "snapshot")).toBe(false);
  });

  it("reconnecting while the job still runs gets the missed events, then the live ones", async () => {
    const { key } = await newTenant();
    const job = await submit(key, soon({ steps: 6, stepMs: 300 }));
    const first = await watch(key, job.id);
    const seen = await first.waitFor((m) => m.type === "progress" && Math.round(m.percent) === 17);
    first.ws.close(1000, "network blip");
    const reference = await watch(key, job.id, "?after=0");

    const second = await watch(key, job.id, `?after=${seen.seq}`);
    await closedWithin(second);
    await closedWithin(reference);
    const expected = reference.messages.filter((m) => m.seq > seen.seq);
    expect(second.messages).toEqual(expected);
    expect(second.messages.at(-1)).toMatchObject({ type: "status", status: "completed" });
  });

  it("a first watcher that asks for everything (?after=0) gets the job's events and the close", async () => {
    const { key } = await newTenant();
    const job = await submit(key, soon());
    const watcher = await watch(key, job.id, "?after=0");
    expect(await closedWithin(watcher, 15_000)).toMatchObject({ code: 1000 });
    expect(watcher.messages.at(-1)).toMatchObject({ type: "status", status: "completed" });
  });

  it("ends the stream of a finished job even when the watcher resumes from a seq the log never had", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, job.id, ["completed"]);
    // Nobody watched it, so its event log is empty; the job is final all the same.
    const watcher = await watch(key, job.id, "?after=0");
    expect(await closedWithin(watcher, 10_000)).toMatchObject({ code: 1000 });
  });

  it("gives a finished job's watcher a snapshot, then closes with 1000", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, job.id, ["completed"]);
    const watcher = await watch(key, job.id);
    expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });
    expect(watcher.messages).toHaveLength(1);
    expect(watcher.messages[0]).toMatchObject({
      type: "snapshot",
      job: { id: job.id, status: "completed", result: { steps: 1, attempt: 1 }, progress: { percent: 100 } },
    });
  });

  it("refuses a watcher without a key, or of another tenant", async () => {
    const { key } = await newTenant();
    const other = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
    const anonymous = await exports.default.fetch(eventsUrl(job.id), { headers: { Upgrade: "websocket" } });
    expect(anonymous.status).toBe(401);
    const stranger = await exports.default.fetch(eventsUrl(job.id), {
      headers: { Upgrade: "websocket", Authorization: `Bearer ${other.key}` },
    });
    expect(stranger.status).toBe(404);
    await api(`/jobs/${job.id}/cancel`, { key, method: "POST" });
  });
});

describe("watch tokens missing a claim", () => {
  /** A token signed exactly as the API signs them, with whatever claims the test gives. */
  const signed = async (claims: Record<string, unknown>) => {
    const payload = encodeJson(claims);
    return `${payload}.${await hmac(env.SIGNING_SECRET, payload)}`;
  };
  const openWith = (jobId: string, token: string) =>
    exports.default.fetch(eventsUrl(jobId, `?token=${encodeURIComponent(token)}`), { headers: { Accept: "text/event-stream" } });

  it.each([
    ["tenant", { tenant: undefined }],
    ["jobId", { jobId: undefined }],
    ["exp", { exp: undefined }],
    ["keyId", { keyId: undefined }],
    ["tenant (empty)", { tenant: "" }],
    ["tenant (not a string)", { tenant: 7 }],
    ["jobId (not a string)", { jobId: ["x"] }],
    ["exp (not a number)", { exp: "tomorrow" }],
  ])("a validly signed token without a usable %s is 401", async (_claim, change) => {
    const { tenant, key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
    const claims = { tenant, jobId: job.id, exp: Date.now() + 60_000, keyId: null, ...change };
    await expectError(await openWith(job.id, await signed(claims)), 401, "unauthorized");
  });

  it("the same token with every claim opens the stream", async () => {
    const { tenant, key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
    const res = await openWith(job.id, await signed({ tenant, jobId: job.id, exp: Date.now() + 60_000, keyId: null }));
    expect(res.status).toBe(200);
    await res.body!.cancel();
  });
});

describe("watching a job over SSE", () => {
  it("streams text/event-stream with id lines equal to seq, ending after the final status", async () => {
    const { key } = await newTenant();
    const job = await submit(key, soon());
    const res = await sse(key, job.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");

    const events = await readSse(res);
    expect(events[0]).toMatchObject({ id: 0, event: "snapshot", data: { type: "snapshot", job: { id: job.id } } });
    for (const e of events) {
      expect(e.id).toBe(e.data.seq);
      expect(e.event).toBe(e.data.type);
    }
    expectStrictlyIncreasing(events.map((e) => e.id));
    expect(events.map((e) => e.data.status ?? e.event)).toEqual([
      "snapshot",
      "running",
      "progress",
      "progress",
      "progress",
      "completed",
    ]);
  });

  it("resumes after Last-Event-ID with exactly the later events", async () => {
    const { key } = await newTenant();
    const job = await submit(key, soon());
    const all = await readSse(await sse(key, job.id));
    const lastSeen = all[2]!.id;

    const resumed = await readSse(await sse(key, job.id, { "Last-Event-ID": String(lastSeen) }));
    expect(resumed.map((e) => e.data)).toEqual(all.filter((e) => e.id > lastSeen).map((e) => e.data));
    expect(resumed.map((e) => e.id)).toEqual(all.filter((e) => e.id > lastSeen).map((e) => e.id));
    // `Last-Event-ID` wins over `?after=`.
    const both = await readSse(await sse(key, job.id, { "Last-Event-ID": String(lastSeen) }, "?after=0"));
    expect(both.map((e) => e.id)).toEqual(resumed.map((e) => e.id));
  });

  it("answers 426 with a JSON error to a request that is neither a websocket nor SSE", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
    const res = await exports.default.fetch(eventsUrl(job.id), {
      headers: { Authorization: `Bearer ${key}`, Accept: "application/json" },
    });
    expect(res.status).toBe(426);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await json(res)).toMatchObject({ error: { code: "upgrade_required" } });
    await api(`/jobs/${job.id}/cancel`, { key, method: "POST" });
  });
});

describe("the JobEvents Durable Object", () => {
  it("keeps its event log across eviction: a connected watcher keeps receiving, seq continues", async () => {
    const { key } = await newTenant();
    const job = await submit(key, soon({ steps: 6, stepMs: 300 }));
    const watcher = await watch(key, job.id);
    await watcher.waitFor((m) => m.type === "progress");

    const stub = env.JOB_EVENTS.getByName(job.id);
    await evictDurableObject(stub);
    expect(await closedWithin(watcher)).toMatchObject({ code: 1000 });

    const events = watcher.messages.filter((m) => m.type !== "snapshot");
    expectStrictlyIncreasing(events.map((e) => e.seq));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "progress")).toHaveLength(6);
    expect(events.at(-1)).toMatchObject({ type: "status", status: "completed" });

    // The stored log outlived the eviction: a late reader replays all of it.
    const replay = await watch(key, job.id, "?after=0");
    await closedWithin(replay);
    expect(replay.messages).toEqual(events);
  });

  it("numbers events after an eviction where the log left off", async () => {
    const { key } = await newTenant();
    const job = await submit(key, {
      ...soon({ steps: 1, stepMs: 0, failUntilAttempt: 2, nonRetryable: true }),
    });
    const first = await watch(key, job.id);
    await closedWithin(first);
    const lastSeq = first.messages.at(-1)!.seq;
    expect(first.messages.at(-1)).toMatchObject({ type: "status", status: "failed" });

    const stub = env.JOB_EVENTS.getByName(job.id);
    const stored = await runInDurableObject(stub, async (_instance: JobEvents, state) =>
      state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'lastSeq'").one().value,
    );
    expect(Number(stored)).toBe(lastSeq);
    await evictDurableObject(stub);

    // A retry of the (watched) job publishes again: the new events continue the numbering.
    await json(await api(`/jobs/${job.id}/retry`, { key, method: "POST" }), 202);
    const next = await watch(key, job.id, `?after=${lastSeq}`);
    await closedWithin(next);
    expect(next.messages[0]).toMatchObject({ type: "status", status: "queued", seq: lastSeq + 1 });
    expect(next.messages.map((m) => m.seq)).toEqual(next.messages.map((_, i) => lastSeq + 1 + i));
    // The retry fails the same way (attempt 1 < failUntilAttempt), as a fresh attempt 1.
    expect(next.messages.filter((m) => m.type === "status").map((m) => [m.status, m.attempt])).toEqual([
      ["queued", 0],
      ["running", 1],
      ["failed", 1],
    ]);
  });
});
