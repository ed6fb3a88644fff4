import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tenantEnv } from "../../src/db/shards";
import { expectError } from "./api-helpers";
import { type EventMessage, type Watcher, readSse, sleep, watchFeed } from "./engine-helpers";
import { api, env, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

const feedUrl = (query = "") => `https://jobs.test/api/v1/events${query}`;

/** The `job` events the feed carried for `id`, as [status, attempt]. */
const statusesOf = (watcher: Watcher, id: string) =>
  watcher.messages.filter((m) => m.type === "job" && m.job.id === id).map((m) => [m.job.status, m.job.attempt]);

async function feedRow(tenant: string) {
  return tenantEnv(env, tenant).DB.prepare("SELECT until FROM tenant_feeds WHERE tenant = ?").bind(tenant).first<{ until: number }>();
}

function expectIncreasing(messages: EventMessage[]) {
  const seqs = messages.map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i], seqs.join(",")).toBeGreaterThan(seqs[i - 1]!);
}

describe("the tenant's live feed", () => {
  it("tells a subscriber of every job created and every status change, with its type and priority", async () => {
    const { key } = await newTenant();
    const feed = await watchFeed(key);
    const ready = await feed.waitFor((m) => m.type === "ready");
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, priority: "high" });
    await feed.waitFor((m) => m.type === "job" && m.job.id === job.id && m.job.status === "completed");
    expect(statusesOf(feed, job.id)).toEqual([["queued", 0], ["running", 1], ["completed", 1]]);
    const events = feed.messages.filter((m) => m.type === "job");
    for (const e of events) {
      expect(e.job).toMatchObject({ id: job.id, type: "simulate", priority: "high" });
      expect(Number.isNaN(Date.parse(e.at))).toBe(false);
      expect(e.seq).toBeGreaterThan(ready.seq);
    }
    expectIncreasing(feed.messages);
    feed.ws.close(1000, "done");
  });

  it("carries running jobs' progress, a retry, a cancel and a manual retry", async () => {
    const { key } = await newTenant();
    const feed = await watchFeed(key);
    await feed.waitFor((m) => m.type === "ready");
    const stepping = await submit(key, { type: "simulate", input: { steps: 4, stepMs: 700 } });
    await feed.waitFor((m) => m.type === "progress" && m.job.id === stepping.id && m.job.percent >= 50, 20_000);
    const progress = feed.messages.filter((m) => m.type === "progress" && m.job.id === stepping.id);
    expect(progress[0]!.job).toMatchObject({ id: stepping.id, stage: expect.any(String) });
    const percents = progress.map((m) => m.job.percent);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);

    const failing = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 10 }, maxAttempts: 2, backoff: { delayMs: 100 } });
    await feed.waitFor((m) => m.type === "job" && m.job.id === failing.id && m.job.status === "failed");
    expect(statusesOf(feed, failing.id)).toEqual([["queued", 0], ["running", 1], ["retrying", 1], ["running", 2], ["failed", 2]]);
    await json(await api(`/jobs/${failing.id}/retry`, { key, method: "POST" }), 202);
    await feed.waitFor((m) => m.type === "job" && m.job.id === failing.id && m.job.status === "queued" && m.job.attempt === 0);

    const later = await submit(key, { type: "simulate", input: {}, delayMs: 60_000 });
    await json(await api(`/jobs/${later.id}/cancel`, { key, method: "POST" }), 200);
    await feed.waitFor((m) => m.type === "job" && m.job.id === later.id && m.job.status === "cancelled");
    feed.ws.close(1000, "done");
  });

  it("follows durable jobs through their Workflow, retries included", async () => {
    const { key } = await newTenant();
    const feed = await watchFeed(key);
    await feed.waitFor((m) => m.type === "ready");
    const job = await submit(key, {
      type: "simulate",
      input: { steps: 2, stepMs: 0, durable: true, failUntilAttempt: 2 },
      backoff: { delayMs: 100 },
    });
    await feed.waitFor((m) => m.type === "job" && m.job.id === job.id && m.job.status === "completed", 30_000);
    expect(statusesOf(feed, job.id)).toEqual([["queued", 0], ["running", 1], ["retrying", 1], ["running", 2], ["completed", 2]]);
    feed.ws.close(1000, "done");
  });

  it("never shows one tenant's jobs to another tenant's subscribers", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const feedA = await watchFeed(a.key);
    const feedB = await watchFeed(b.key);
    await Promise.all([feedA.waitFor((m) => m.type === "ready"), feedB.waitFor((m) => m.type === "ready")]);
    const jobA = await submit(a.key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const jobB = await submit(b.key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await feedA.waitFor((m) => m.type === "job" && m.job.id === jobA.id && m.job.status === "completed");
    await feedB.waitFor((m) => m.type === "job" && m.job.id === jobB.id && m.job.status === "completed");
    const ids = (w: Watcher) => new Set(w.messages.filter((m) => m.job).map((m) => m.job.id));
    expect([...ids(feedA)]).toEqual([jobA.id]);
    expect([...ids(feedB)]).toEqual([jobB.id]);
    feedA.ws.close(1000, "done");
    feedB.ws.close(1000, "done");
  });

  it("costs nothing while nobody subscribes: the tenant's feed row exists only while someone does", async () => {
    const { tenant, key } = await newTenant();
    expect(await feedRow(tenant)).toBeNull();
    await waitForStatus(key, (await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } })).id, ["completed"]);

    const first = await watchFeed(key);
    const second = await watchFeed(key);
    await Promise.all([first.waitFor((m) => m.type === "ready"), second.waitFor((m) => m.type === "ready")]);
    const row = await feedRow(tenant);
    expect(row!.until).toBeGreaterThan(Date.now() + 60_000);
    first.ws.close(1000, "done");
    await sleep(200);
    expect(await feedRow(tenant)).not.toBeNull();
    second.ws.close(1000, "done");
    await waitFor(() => feedRow(tenant), (r) => r === null, 5_000);
    // Nobody watches: the job store's writes find no row and publish nothing.
    const unwatched = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, unwatched.id, ["completed"]);
    const third = await watchFeed(key, `?after=0`);
    await third.waitFor((m) => m.type === "ready");
    expect(third.messages.some((m) => m.job?.id === unwatched.id)).toBe(false);
    third.ws.close(1000, "done");
  });

  it("resumes from `after` with the events missed, or says `reset` when they are no longer known", async () => {
    const { key } = await newTenant();
    const feed = await watchFeed(key);
    const ready = await feed.waitFor((m) => m.type === "ready");
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await feed.waitFor((m) => m.type === "job" && m.job.id === job.id && m.job.status === "completed");
    const resumed = await watchFeed(key, `?after=${ready.seq}`);
    await resumed.waitFor((m) => m.type === "ready");
    expect(statusesOf(resumed, job.id)).toEqual([["queued", 0], ["running", 1], ["completed", 1]]);
    const tooOld = await watchFeed(key, `?after=${ready.seq + 1_000_000}`);
    await tooOld.waitFor((m) => m.type === "ready");
    expect(tooOld.messages[0]).toMatchObject({ type: "reset" });
    for (const w of [feed, resumed, tooOld]) w.ws.close(1000, "done");
  });

  it("streams as Server-Sent Events too, each event's id its seq", async () => {
    const { key } = await newTenant();
    const controller = new AbortController();
    const res = await exports.default.fetch(feedUrl(), {
      headers: { accept: "text/event-stream", authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, job.id, ["completed"]);
    await sleep(300);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes('"completed"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const events = await readSse(new Response(text));
    expect(events[0]).toMatchObject({ event: "ready" });
    const done = events.find((e) => e.event === "job" && e.data.job.status === "completed")!;
    expect(done.id).toBe(done.data.seq);
  });

  it("needs a live key with jobs:read, and a websocket or an SSE Accept header", async () => {
    await expectError(await exports.default.fetch(feedUrl(), { headers: { upgrade: "websocket" } }), 401, "unauthorized");
    const reports = await newTenant(["reports:read"]);
    await expectError(await exports.default.fetch(feedUrl(), { headers: { upgrade: "websocket", authorization: `Bearer ${reports.key}` } }), 403, "forbidden");
    const { key } = await newTenant();
    await expectError(await exports.default.fetch(feedUrl(), { headers: { authorization: `Bearer ${key}` } }), 426, "upgrade_required");
    await expectError(await exports.default.fetch(feedUrl("?after=-1"), { headers: { upgrade: "websocket", authorization: `Bearer ${key}` } }), 400);
  });
});
