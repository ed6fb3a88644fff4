import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { type EventMessage, type Watcher, closedWithin, readSse, watch } from "./engine-helpers";
import { ADMIN_KEY, api, getJob, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

const eventsUrl = (id: string) => `https://jobs.test/api/v1/jobs/${id}/events`;

function sse(id: string, headers: Record<string, string>) {
  return exports.default.fetch(eventsUrl(id), { headers: { Accept: "text/event-stream", ...headers } });
}

/** Ten steps of 400 ms, as measured: a heartbeat (and a D1 progress write) falls every two or three steps. */
const tenSteps = (durable = false) => ({ type: "simulate", input: { steps: 10, stepMs: 400, durable } });

/** Waits until D1 shows the job past `percent`: by then it runs unwatched, progress only throttled into D1. */
async function runningPast(key: string, id: string, percent: number) {
  await waitFor(() => getJob(key, id), (job) => (job.progress.percent ?? 0) >= percent);
}

/** The watcher saw its snapshot's progress, then every later 10% step once, in order, then the final status. */
function expectEveryStepAfterSnapshot(messages: EventMessage[]) {
  const [snapshot, ...events] = messages;
  expect(snapshot).toMatchObject({ type: "snapshot", job: { status: "running" } });
  const from = snapshot!.job.progress.percent as number;
  const expected: number[] = [];
  for (let percent = from + 10; percent <= 100; percent += 10) expected.push(percent);
  expect(events.filter((e) => e.type === "progress").map((e) => e.percent), JSON.stringify(messages)).toEqual(expected);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => snapshot!.seq + 1 + i));
  expect(events.at(-1)).toMatchObject({ type: "status", status: "completed" });
}

/** The progress a watcher knew at `seq`: the last progress event up to it, else its snapshot's. */
function progressAt(messages: EventMessage[], seq: number) {
  const last = messages.filter((m) => m.type === "progress" && m.seq <= seq).at(-1);
  return last ? last.percent : messages[0]!.job.progress.percent;
}

describe("a watcher that subscribes while the job runs", () => {
  it("receives every step made after its snapshot (single-step job)", async () => {
    const { key } = await newTenant();
    const job = await submit(key, tenSteps());
    await runningPast(key, job.id, 20);
    const watcher = await watch(key, job.id);
    await closedWithin(watcher);
    expectEveryStepAfterSnapshot(watcher.messages);
  });

  it("receives every step made after its snapshot (durable job)", async () => {
    const { key } = await newTenant();
    const job = await submit(key, tenSteps(true));
    await runningPast(key, job.id, 20);
    const watcher = await watch(key, job.id);
    await closedWithin(watcher, 30_000);
    expectEveryStepAfterSnapshot(watcher.messages);
  });

  it("receives the steps made after it subscribed when the job ends before the runner's next write", async () => {
    const { key } = await newTenant();
    for (const durable of [false, true]) {
      // 600 ms of steps: the attempt ends before a heartbeat (or a progress write) tells it about the watcher.
      const job = await submit(key, { type: "simulate", input: { steps: 10, stepMs: 60, durable } });
      await waitFor(() => getJob(key, job.id), (j) => j.status === "running", 20_000);
      const watcher = await watch(key, job.id);
      await closedWithin(watcher, 30_000);
      expectEveryStepAfterSnapshot(watcher.messages);
    }
  });

  it("a second watcher gets a snapshot of the progress the first one had seen at that seq, then every later step", async () => {
    const { key } = await newTenant();
    const job = await submit(key, tenSteps());
    await runningPast(key, job.id, 10);
    const first = await watch(key, job.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await watch(key, job.id);
    await Promise.all([closedWithin(first), closedWithin(second)]);

    expectEveryStepAfterSnapshot(first.messages);
    expectEveryStepAfterSnapshot(second.messages);
    const snapshot = second.messages[0]!;
    expect(snapshot.job.progress.percent).toBe(progressAt(first.messages, snapshot.seq));
  });

  it("is told progress rounded to hundredths", async () => {
    const { key } = await newTenant();
    // 11/20 and 3/10 of 100 are 55.00000000000001 and 30.000000000000004 in floating point.
    const job = await submit(key, { type: "simulate", input: { steps: 20, stepMs: 20 }, delayMs: 1_000 });
    const thirds = await submit(key, { type: "simulate", input: { steps: 3, stepMs: 20 }, delayMs: 1_000 });
    const [watcher, thirdsWatcher] = await Promise.all([watch(key, job.id), watch(key, thirds.id)]);
    await Promise.all([closedWithin(watcher), closedWithin(thirdsWatcher)]);
    const percents = (w: Watcher) => w.messages.filter((m) => m.type === "progress").map((m) => m.percent);
    expect(percents(watcher)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 5));
    expect(percents(thirdsWatcher)).toEqual([33.33, 66.67, 100]);
    expect((await getJob(key, thirds.id)).progress.percent).toBe(100);
  });
});

describe("the end of a job's stream", () => {
  it("the websocket closes as soon as the final status is sent", async () => {
    const { key } = await newTenant();
    for (const durable of [false, true]) {
      const job = await submit(key, { type: "simulate", input: { steps: 2, stepMs: 100, durable }, delayMs: 1_000 });
      const watcher = await watch(key, job.id);
      await watcher.waitFor((m) => m.type === "status" && m.status === "completed", 30_000);
      const finalAt = Date.now();
      expect(await closedWithin(watcher, 5_000)).toMatchObject({ code: 1000 });
      expect(Date.now() - finalAt, `durable: ${durable}`).toBeLessThan(500);
    }
  });

  it("an SSE reconnect to a finished job that missed nothing is 204; one that missed events gets them", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 2, stepMs: 50 }, delayMs: 1_000 });
    const auth = { Authorization: `Bearer ${key}` };
    const all = await readSse(await sse(job.id, auth));
    const last = all.at(-1)!;
    expect(last.data).toMatchObject({ type: "status", status: "completed" });

    const done = await sse(job.id, { ...auth, "Last-Event-ID": String(last.id) });
    expect(done.status).toBe(204);
    expect(await done.text()).toBe("");
    const doneByQuery = await exports.default.fetch(`${eventsUrl(job.id)}?after=${last.id}`, {
      headers: { Accept: "text/event-stream", ...auth },
    });
    expect(doneByQuery.status).toBe(204);

    const missed = await sse(job.id, { ...auth, "Last-Event-ID": String(all[1]!.id) });
    expect(missed.status).toBe(200);
    expect((await readSse(missed)).map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
  });

  it("an SSE client of a job nobody watched gets its snapshot once, then 204 on reconnect", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, job.id, ["completed"]);
    const auth = { Authorization: `Bearer ${key}` };
    const [snapshot] = await readSse(await sse(job.id, auth));
    expect(snapshot).toMatchObject({ event: "snapshot", data: { job: { status: "completed" } } });
    const again = await sse(job.id, { ...auth, "Last-Event-ID": String(snapshot!.id) });
    expect(again.status).toBe(204);
  });
});

describe("watch tokens of a revoked key", () => {
  /** The stream must be refused: a 401 JSON error, not a stream (which would never end here). */
  async function expectRefused(res: Response) {
    if (res.status !== 401) {
      res.webSocket?.accept();
      res.webSocket?.close(1000);
      await res.body?.cancel();
      expect.fail(`expected 401, got ${res.status}`);
    }
    expect(await expectError(res, 401, "unauthorized")).toMatchObject({ message: "the key that minted this watch token was revoked" });
  }

  it("no longer open a stream, over SSE, an SSE reconnect or a websocket", async () => {
    const { tenant } = await newTenant();
    const created = await json(await api("/keys", { body: { name: "browser", tenant, scopes: ["jobs:read", "jobs:write"] } }), 201);
    const job = await submit(created.key, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
    const { url } = await json(await api(`/jobs/${job.id}/events/token`, { key: created.key, method: "POST" }), 201);
    const opened = await exports.default.fetch(`https://jobs.test${url}`, { headers: { accept: "text/event-stream" } });
    expect(opened.status).toBe(200);
    await opened.body!.cancel();

    await json(await api(`/keys/${created.id}`, { method: "DELETE" }), 200);
    const open = (headers: Record<string, string>) => exports.default.fetch(`https://jobs.test${url}`, { headers });
    await expectRefused(await open({ accept: "text/event-stream" }));
    await expectRefused(await open({ accept: "text/event-stream", "Last-Event-ID": "0" }));
    await expectRefused(await open({ upgrade: "websocket" }));
    await api(`/jobs/${job.id}/cancel`, { method: "POST" });
  });

  it("minted by the env admin key keep working", async () => {
    const job = await submit(ADMIN_KEY, { type: "simulate", input: { steps: 1 }, delayMs: 3_600_000 });
    const { url } = await json(await api(`/jobs/${job.id}/events/token`, { method: "POST" }), 201);
    const opened = await exports.default.fetch(`https://jobs.test${url}`, { headers: { upgrade: "websocket" } });
    expect(opened.status).toBe(101);
    opened.webSocket!.accept();
    opened.webSocket!.close(1000);
    await api(`/jobs/${job.id}/cancel`, { method: "POST" });
  });
});
