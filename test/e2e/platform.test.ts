import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "./dev-server";

let server: DevServer;
const auth = { authorization: `Bearer ${E2E_ADMIN_KEY}` };

async function call(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method: init.method ?? (init.body ? "POST" : "GET"),
    headers: { ...auth, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

interface Message {
  type: string;
  seq: number;
  [key: string]: any;
}

/** Collects a job's websocket messages until the server closes the socket. */
function watchOverWebsocket(jobId: string, query = ""): Promise<{ messages: Message[]; code: number }> {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/api/v1/jobs/${jobId}/events${query}`, {
    headers: auth,
  } as unknown as string[]);
  const messages: Message[] = [];
  return new Promise((resolve, reject) => {
    ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
    ws.onclose = (e) => resolve({ messages, code: e.code });
    ws.onerror = () => reject(new Error("websocket error"));
  });
}

/** Reads an SSE stream to its end, parsing `id`, `event` and `data` fields. */
async function readSse(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => {
      const field = (name: string) => block.split("\n").find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      return { id: Number(field("id")), event: field("event"), data: JSON.parse(field("data")!) as Message };
    });
}

beforeAll(async () => {
  server = await startDevServer();
});

afterAll(async () => {
  await server?.stop();
});

describe("the platform under wrangler dev", () => {
  it("runs a submitted job and streams its progress to a websocket client", async () => {
    const submitted = await call("/jobs", { body: { type: "simulate", input: { steps: 4, stepMs: 250 } } });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get("location")).toBe(`/api/v1/jobs/${submitted.body.id}`);

    const { messages, code } = await watchOverWebsocket(submitted.body.id);
    expect(code).toBe(1000);
    expect(messages[0]).toMatchObject({ type: "snapshot", job: { id: submitted.body.id } });
    const seqs = messages.slice(1).map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const last = messages[messages.length - 1]!;
    expect(last).toMatchObject({ type: "status", status: "completed", attempt: 1 });
    if (messages[0]!.job.status !== "completed") {
      expect(messages.some((m) => m.type === "progress" && m.percent === 100)).toBe(true);
    }

    const job = await call(`/jobs/${submitted.body.id}`);
    expect(job.body).toMatchObject({ status: "completed", result: { steps: 4, attempt: 1 } });
  });

  it("streams SSE to a browser-style client holding only a watch token, and resumes from Last-Event-ID", async () => {
    const submitted = await call("/jobs", { body: { type: "simulate", input: { steps: 3, stepMs: 300 } } });
    const token = await call(`/jobs/${submitted.body.id}/events/token`, { method: "POST" });
    expect(token.status).toBe(201);
    const events = await readSse(`${server.url}${token.body.url}`);
    expect(events[0]!.event).toBe("snapshot");
    expect(events[events.length - 1]!.data).toMatchObject({ type: "status", status: "completed" });

    const live = events.filter((e) => e.event !== "snapshot");
    if (live.length >= 2) {
      const resumeFrom = live[0]!.id;
      const missed = await readSse(`${server.url}${token.body.url}`, { "last-event-id": String(resumeFrom) });
      expect(missed.map((e) => e.id)).toEqual(live.slice(1).map((e) => e.id));
    }
    const denied = await fetch(`${server.url}/api/v1/jobs/${submitted.body.id}/events?token=forged.token`, {
      headers: { accept: "text/event-stream" },
    });
    expect(denied.status).toBe(401);
  });

  it("cancels a queued job so it never runs, and refuses to cancel it twice", async () => {
    const submitted = await call("/jobs", { body: { type: "simulate", input: { steps: 1 }, delayMs: 60_000 } });
    const cancelled = await call(`/jobs/${submitted.body.id}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", attempts: 0 });
    const again = await call(`/jobs/${submitted.body.id}/cancel`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_state");
  });

  it("completes a batch of jobs submitted in one request", async () => {
    const jobs = Array.from({ length: 200 }, (_, i) => ({ type: "simulate", input: { steps: 1, stepMs: 0 }, tags: [`b${i % 2}`] }));
    const batch = await call("/jobs/batch", { body: { jobs } });
    expect(batch.status).toBe(202);
    expect(batch.body.created).toBe(200);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const stats = await call("/stats");
      if ((stats.body.byStatus.completed ?? 0) >= 200) break;
      if (Date.now() > deadline) throw new Error(`batch did not finish: ${JSON.stringify(stats.body)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const page = await call("/jobs?tag=b1&status=completed&limit=200");
    expect(page.body.items).toHaveLength(100);
  });

  it("runs a durable job as a Workflow, resuming after a failed attempt without redoing finished steps", async () => {
    const submitted = await call("/jobs", {
      body: {
        type: "simulate",
        input: { steps: 3, stepMs: 50, durable: true, failUntilAttempt: 2, failAtStep: 3 },
        backoff: { type: "fixed", baseMs: 500 },
      },
    });
    const { messages } = await watchOverWebsocket(submitted.body.id);
    expect(messages.filter((m) => m.type === "status").map((m) => m.status)).toContain("retrying");
    expect(messages[messages.length - 1]).toMatchObject({ type: "status", status: "completed", attempt: 2 });
    const logs = await call(`/jobs/${submitted.body.id}/logs`);
    const ran = logs.body.items.map((l: { message: string }) => l.message);
    expect(ran).toEqual(["step 1 ran on attempt 1", "step 2 ran on attempt 1", "step 3 ran on attempt 1", "step 3 ran on attempt 2"]);
  });
});
