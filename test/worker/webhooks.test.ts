// Webhooks: subscriptions, which job events become deliveries, and a receiver that keeps failing
// (nothing listens on 127.0.0.1:1, which the tests' outbound rules let through): retried with the
// webhook's backoff, then the webhook is paused. Deliveries to a live receiver, with their
// signatures checked, are in test/e2e/webhooks.test.ts.
import { describe, expect, it } from "vitest";
import { api, dbOf, json, newTenant, submit, waitFor, waitForStatus } from "./helpers";

const UNREACHABLE = "http://127.0.0.1:1/hooks";

async function tenantWithAdmin() {
  return newTenant(["jobs:read", "jobs:write", "admin"]);
}

async function subscribe(key: string, body: Record<string, unknown>) {
  return json(await api("/webhooks", { key, body: { url: UNREACHABLE, events: ["job.completed"], ...body } }), 201);
}

async function deliveriesOf(key: string, webhookId: string, query = "") {
  return (await json(await api(`/webhooks/${webhookId}/deliveries${query}`, { key }), 200)).items as any[];
}

describe("webhook subscriptions", () => {
  it("creates, reads, changes, rotates and deletes a webhook; the secret is shown once", async () => {
    const { key } = await tenantWithAdmin();
    const res = await api("/webhooks", { key, body: { url: UNREACHABLE, events: ["job.completed", "job.failed"], filter: { types: ["simulate"] }, description: "ops" } });
    const created = await json(res, 201);
    expect(res.headers.get("location")).toBe(`/api/v1/webhooks/${created.webhook.id}`);
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(created.webhook).toMatchObject({ status: "active", events: ["job.completed", "job.failed"], filter: { types: ["simulate"], tags: null }, failures: 0, pauseAfterFailures: 10, retry: { maxAttempts: 6 } });
    const id = created.webhook.id;
    expect(await json(await api(`/webhooks/${id}`, { key }), 200)).toEqual(created.webhook);
    expect((await json(await api("/webhooks", { key }), 200)).items.map((w: { id: string }) => w.id)).toEqual([id]);
    const patched = await json(await api(`/webhooks/${id}`, { key, method: "PATCH", body: { events: ["job.cancelled"], filter: null, status: "paused" } }), 200);
    expect(patched).toMatchObject({ events: ["job.cancelled"], filter: { types: null, tags: null }, status: "paused", pausedReason: "paused through the API" });
    const rotated = await json(await api(`/webhooks/${id}/secret`, { key, method: "POST" }), 200);
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.previousSecretExpiresAt).toBeTruthy();
    expect((await api(`/webhooks/${id}`, { key, method: "DELETE" })).status).toBe(204);
    expect((await api(`/webhooks/${id}`, { key })).status).toBe(404);
  });

  it("refuses unknown events, internal URLs and keys without the admin scope, and keeps tenants apart", async () => {
    const { key } = await tenantWithAdmin();
    expect((await json(await api("/webhooks", { key, body: { url: UNREACHABLE, events: ["job.exploded"] } }), 400)).error.code).toBe("validation_failed");
    expect((await json(await api("/webhooks", { key, body: { url: UNREACHABLE, events: [] } }), 400)).error.code).toBe("validation_failed");
    const internal = await json(await api("/webhooks", { key, body: { url: "http://169.254.169.254/", events: ["job.failed"] } }), 422);
    expect(internal.error).toMatchObject({ code: "invalid_webhook", details: [{ path: "url" }] });
    const reader = await newTenant(["jobs:read"]);
    expect((await api("/webhooks", { key: reader.key, body: { url: UNREACHABLE, events: ["job.failed"] } })).status).toBe(403);
    const { webhook } = await subscribe(key, {});
    const other = await tenantWithAdmin();
    expect((await api(`/webhooks/${webhook.id}`, { key: other.key })).status).toBe(404);
    expect((await api(`/webhooks/${webhook.id}/deliveries`, { key: other.key })).status).toBe(404);
  });
});

describe("which events become deliveries", () => {
  it("records nothing for a tenant without webhooks", async () => {
    const { key, tenant } = await tenantWithAdmin();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, job.id, ["completed"]);
    const row = await dbOf(tenant).prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE tenant = ?").bind(tenant).first<{ n: number }>();
    expect(row?.n).toBe(0);
  });

  it("delivers the events a webhook wants, for the jobs its filters take, with the job as it ended", async () => {
    const { key } = await tenantWithAdmin();
    const { webhook } = await subscribe(key, { events: ["job.completed", "job.dead_lettered"], filter: { tags: ["billing"] }, retry: { maxAttempts: 1 }, pauseAfterFailures: 100 });
    const tagged = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 }, tags: ["billing", "eu"] });
    const untagged = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const failing = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 9, nonRetryable: true }, tags: ["billing"] });
    await waitForStatus(key, tagged.id, ["completed"]);
    await waitForStatus(key, untagged.id, ["completed"]);
    await waitForStatus(key, failing.id, ["failed"]);
    const deliveries = await waitFor(() => deliveriesOf(key, webhook.id), (d) => d.length === 2 && d.every((x) => x.status === "failed"));
    expect(deliveries.map((d) => [d.event, d.jobId]).sort()).toEqual([["job.completed", tagged.id], ["job.dead_lettered", failing.id]].sort());
    const detail = await json(await api(`/webhooks/${webhook.id}/deliveries/${deliveries.find((d) => d.jobId === tagged.id).id}`, { key }), 200);
    expect(detail.payload.job).toMatchObject({ id: tagged.id, type: "simulate", status: "completed", attempts: 1, tags: ["billing", "eu"], result: { steps: 1, attempt: 1 }, resultOmitted: false });
    expect(detail).toMatchObject({ attempts: 1, responseStatus: null, error: expect.stringMatching(/.+/) });
  });
});

describe("a receiver that keeps failing", () => {
  it("is retried with the webhook's backoff, then the webhook is paused with the reason; resuming sends what it held", async () => {
    const { key } = await tenantWithAdmin();
    const { webhook } = await subscribe(key, { retry: { maxAttempts: 2, backoff: { type: "fixed", baseMs: 1_000, jitter: false } }, pauseAfterFailures: 1 });
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, job.id, ["completed"]);
    const [failed] = await waitFor(() => deliveriesOf(key, webhook.id), (d) => d[0]?.status === "failed", 30_000);
    expect(failed).toMatchObject({ event: "job.completed", jobId: job.id, attempts: 2, nextAttemptAt: null });
    const paused = await waitFor(async () => json(await api(`/webhooks/${webhook.id}`, { key }), 200), (w) => w.status === "paused");
    expect(paused).toMatchObject({ failures: 1, pausedReason: expect.stringContaining("1 deliveries in a row failed") });
    // Paused: a new event is recorded but held.
    const second = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    await waitForStatus(key, second.id, ["completed"]);
    const held = await waitFor(() => deliveriesOf(key, webhook.id, "?status=pending"), (d) => d.length === 1);
    expect(held[0]).toMatchObject({ jobId: second.id, attempts: 0 });
    const resumed = await json(await api(`/webhooks/${webhook.id}`, { key, method: "PATCH", body: { status: "active", retry: { maxAttempts: 1 } } }), 200);
    expect(resumed).toMatchObject({ status: "active", failures: 0, pausedReason: null });
    await waitFor(() => deliveriesOf(key, webhook.id), (d) => d.find((x) => x.jobId === second.id)?.attempts === 1);
    const redelivered = await json(await api(`/webhooks/${webhook.id}/deliveries/${failed.id}/redeliver`, { key, method: "POST" }), 202);
    expect(redelivered).toMatchObject({ event: "job.completed", jobId: job.id, attempts: 0 });
    expect(redelivered.id).not.toBe(failed.id);
  });
});
