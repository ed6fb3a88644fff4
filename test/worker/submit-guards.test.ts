import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LANE_BINDINGS } from "../../src/engine/lanes";
import { handler, jobRow } from "./engine-helpers";
import { ADMIN_KEY, api, env, json, newTenant, submit } from "./helpers";

/** The worker's env with its real queues, counting the messages sent to them. */
function countingEnv() {
  const sent = { messages: 0 };
  const lanes = Object.fromEntries(
    LANE_BINDINGS.map((name) => {
      const queue = env[name];
      return [name, {
        send: (body: unknown, options?: QueueSendOptions) => ((sent.messages += 1), queue.send(body, options)),
        sendBatch: (messages: MessageSendRequest[], options?: QueueSendBatchOptions) => ((sent.messages += messages.length), queue.sendBatch(messages, options)),
      }];
    }),
  );
  return { env: { ...env, ...lanes } as Env, sent };
}

async function post(target: Env, key: string, path: string, body: unknown) {
  const ctx = createExecutionContext();
  const res = await handler.fetch!(
    new Request(`https://jobs.test/api/v1${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }) as Request<unknown, IncomingRequestCfProperties>,
    target,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe("a refused submission announces nothing", () => {
  it("sends no queue message for a submission a rate limit refuses", async () => {
    const admin = await newTenant(["admin"]);
    const writer = await json(await api("/keys", { key: ADMIN_KEY, body: { name: "writer", tenant: admin.tenant, scopes: ["jobs:write"] } }), 201);
    const key = writer.key as string;
    await json(await api("/rate-limits/simulate", { method: "PUT", key: admin.key, body: { limit: 1, windowMs: 60_000, mode: "reject" } }), 200);
    const { env: counting, sent } = countingEnv();
    expect((await post(counting, key, "/jobs", { type: "simulate", input: { steps: 1, stepMs: 0 } })).status).toBe(202);
    expect(sent.messages).toBe(1);
    for (let i = 0; i < 5; i++) {
      const refused = await post(counting, key, "/jobs", { type: "simulate", input: { steps: 1, stepMs: 0 } });
      expect(refused.status).toBe(429);
    }
    expect(sent.messages).toBe(1);
  });

  it("sends no queue message for a submission with a revoked key", async () => {
    const { key, id } = await newTenant();
    await json(await api(`/keys/${id}`, { method: "DELETE" }), 200);
    const { env: counting, sent } = countingEnv();
    const refused = await post(counting, key, "/jobs/batch", { jobs: [{ type: "simulate", input: {} }, { type: "simulate", input: {} }] });
    expect(refused.status).toBe(401);
    expect(sent.messages).toBe(0);
  });
});

describe("debounce merges only alike jobs", () => {
  it("refuses with 409 a job of another type whose debounce key holds a queued job, and leaves that job as it was", async () => {
    const { key } = await newTenant();
    const queued = await submit(key, { type: "simulate", input: { steps: 2, stepMs: 0 }, debounce: { key: "k1", periodMs: 60_000 } });
    const res = await api("/jobs", { key, body: { type: "http.request", input: { url: "https://example.com/" }, debounce: { key: "k1", periodMs: 60_000 } } });
    const body = await json(res, 409);
    expect(body.error).toMatchObject({ code: "debounce_conflict", requestId: expect.any(String) });
    expect(body.error.message).toContain(queued.id);
    const row = await jobRow(queued.id);
    expect(row).toMatchObject({ type: "simulate", status: "queued" });
    expect(JSON.parse(row.input)).toMatchObject({ steps: 2 });
  });

  it("refuses to merge a durable job into a queued direct one of the same type", async () => {
    const { key } = await newTenant();
    const queued = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, debounce: { key: "k2", periodMs: 60_000 } });
    const res = await api("/jobs", { key, body: { type: "simulate", input: { steps: 1, stepMs: 0, durable: true }, debounce: { key: "k2", periodMs: 60_000 } } });
    expect((await json(res, 409)).error.code).toBe("debounce_conflict");
    expect(await jobRow(queued.id)).toMatchObject({ durable: 0, status: "queued" });
  });

  it("still merges a job of the same type and durability", async () => {
    const { key } = await newTenant();
    const first = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, debounce: { key: "k3", periodMs: 60_000 } });
    const second = await json(await api("/jobs", { key, body: { type: "simulate", input: { steps: 3, stepMs: 0 }, debounce: { key: "k3", periodMs: 60_000 } } }), 200);
    expect(second.id).toBe(first.id);
    expect(JSON.parse((await jobRow(first.id)).input)).toMatchObject({ steps: 3 });
  });
});
