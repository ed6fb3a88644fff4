import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "./dev-server";

let server: DevServer;
const auth = { authorization: `Bearer ${E2E_ADMIN_KEY}` };

async function submit(body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${server.url}/api/v1/jobs`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string };
}

interface Received {
  data: { type: string; seq: number; status?: string; percent?: number; job?: any };
  at: number;
}

/** A real websocket client (Node's own): every message with when it arrived, and when the socket closed. */
function watch(jobId: string): Promise<{ messages: Received[]; code: number; closedAt: number }> {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/api/v1/jobs/${jobId}/events`, {
    headers: auth,
  } as unknown as string[]);
  const messages: Received[] = [];
  return new Promise((resolve, reject) => {
    ws.onmessage = (e) => messages.push({ data: JSON.parse(String(e.data)), at: Date.now() });
    ws.onclose = (e) => resolve({ messages, code: e.code, closedAt: Date.now() });
    ws.onerror = () => reject(new Error("websocket error"));
  });
}

async function sse(jobId: string, lastEventId?: string) {
  const headers: Record<string, string> = { ...auth, accept: "text/event-stream" };
  if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
  return fetch(`${server.url}/api/v1/jobs/${jobId}/events`, { headers });
}

function ids(text: string): number[] {
  return [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
}

beforeAll(async () => {
  server = await startDevServer();
});

afterAll(async () => {
  await server?.stop();
});

describe("watching under wrangler dev, with real clients", () => {
  it("a websocket closes right after the final status, for a running and for a finished job", async () => {
    const job = await submit({ type: "simulate", input: { steps: 2, stepMs: 200 }, delayMs: 1_000 });
    const live = await watch(job.id);
    const final = live.messages.at(-1)!;
    expect(final.data).toMatchObject({ type: "status", status: "completed" });
    expect(live.code).toBe(1000);
    expect(live.closedAt - final.at).toBeLessThan(1_000);

    const late = await watch(job.id);
    expect(late.messages.map((m) => m.data.type)).toEqual(["snapshot"]);
    expect(late.closedAt - late.messages[0]!.at).toBeLessThan(1_000);
  });

  it("a watcher subscribing mid-job gets every step after its snapshot", async () => {
    const job = await submit({ type: "simulate", input: { steps: 10, stepMs: 400 } });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const { messages } = await watch(job.id);
    const [snapshot, ...events] = messages.map((m) => m.data);
    const from = snapshot!.job.progress.percent ?? 0;
    const expected: number[] = [];
    for (let percent = from + 10; percent <= 100; percent += 10) expected.push(percent);
    expect(events.filter((e) => e.type === "progress").map((e) => e.percent)).toEqual(expected);
  });

  it("an SSE client reconnecting to the finished job with its Last-Event-ID gets 204", async () => {
    const job = await submit({ type: "simulate", input: { steps: 2, stepMs: 100 }, delayMs: 1_000 });
    const first = await sse(job.id);
    expect(first.status).toBe(200);
    const seen = ids(await first.text());
    const again = await sse(job.id, String(seen.at(-1)));
    expect(again.status).toBe(204);
    const behind = await sse(job.id, String(seen[0]));
    expect(behind.status).toBe(200);
    expect(ids(await behind.text())).toEqual(seen.slice(1));
  });
});
