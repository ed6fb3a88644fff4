import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/schemas/job";
import { expectError, later, listJobs } from "./api-helpers";
import { shardOf } from "../../src/db/shards";
import { api, env, json, newTenant, submit, waitForStatus } from "./helpers";

type Tenant = Awaited<ReturnType<typeof newTenant>>;

/** A new tenant whose shard passes `wanted`. */
async function tenantOnShard(wanted: (shard: string) => boolean, scopes?: string[]): Promise<Tenant> {
  for (;;) {
    const tenant = await newTenant(scopes);
    if (wanted(shardOf(env, tenant.tenant))) return tenant;
  }
}

/**
 * Tenant A owns one job in every interesting state; each test checks that tenant B cannot see
 * or touch it. Every route is tried with a job in the state where the route would succeed for A,
 * so a missing tenant check would show up as a 2xx rather than a 404.
 */
let a: Tenant;
let queued: Job;
let completed: Job;
let failed: Job;

beforeAll(async () => {
  a = await newTenant();
  queued = await submit(a.key, later({ tags: ["shared"], priority: "low" }));
  completed = await submit(a.key, { type: "simulate", input: { steps: 1, stepMs: 0 }, tags: ["shared"] });
  failed = await submit(a.key, {
    type: "simulate",
    input: { steps: 1, stepMs: 0, failUntilAttempt: 5, nonRetryable: true },
    tags: ["shared"],
  });
  await waitForStatus(a.key, completed.id, ["completed"]);
  await waitForStatus(a.key, failed.id, ["failed"]);
}, 60_000);

const deadLetterIds = async (key: string) =>
  (await json(await api("/dead-letters", { key }), 200)).items.map((d: { job: Job }) => d.job.id) as string[];

/**
 * Tenant B is on another D1 shard than A (the tests run with two, see vitest.config.ts), and then
 * on the same one: isolation must hold whether or not their rows share a database.
 */
describe.each([
  ["on another D1 shard than A", () => tenantOnShard((shard) => shard !== shardOf(env, a.tenant))],
  ["on the same D1 shard as A", () => tenantOnShard((shard) => shard === shardOf(env, a.tenant))],
])("tenant B %s", (_where, tenantB) => {
  describe("a job of another tenant is 404, never 403", () => {
    it("GET /jobs/{id}", async () => {
      const b = await tenantB();
      await json(await api(`/jobs/${queued.id}`, { key: a.key }), 200);
      const error = await expectError(await api(`/jobs/${queued.id}`, { key: b.key }), 404, "not_found");
      expect(JSON.stringify(error)).not.toContain(a.tenant);
    });

    it("GET /jobs/{id}/result", async () => {
      const b = await tenantB();
      await json(await api(`/jobs/${completed.id}/result`, { key: a.key }), 200);
      await expectError(await api(`/jobs/${completed.id}/result`, { key: b.key }), 404, "not_found");
    });

    it("GET /jobs/{id}/attempts", async () => {
      const b = await tenantB();
      expect((await json(await api(`/jobs/${completed.id}/attempts`, { key: a.key }), 200)).items).toHaveLength(1);
      await expectError(await api(`/jobs/${completed.id}/attempts`, { key: b.key }), 404, "not_found");
    });

    it("GET /jobs/{id}/logs", async () => {
      const b = await tenantB();
      await json(await api(`/jobs/${completed.id}/logs`, { key: a.key }), 200);
      await expectError(await api(`/jobs/${completed.id}/logs`, { key: b.key }), 404, "not_found");
    });

    it("POST /jobs/{id}/cancel leaves the job alone", async () => {
      const b = await tenantB();
      await expectError(await api(`/jobs/${queued.id}/cancel`, { key: b.key, method: "POST" }), 404, "not_found");
      expect((await json(await api(`/jobs/${queued.id}`, { key: a.key }), 200)).status).toBe("queued");
    });

    it("POST /jobs/{id}/retry leaves the job alone", async () => {
      const b = await tenantB();
      await expectError(await api(`/jobs/${failed.id}/retry`, { key: b.key, method: "POST" }), 404, "not_found");
      expect((await json(await api(`/jobs/${failed.id}`, { key: a.key }), 200)).status).toBe("failed");
    });

    it("POST /jobs/{id}/events/token", async () => {
      const b = await tenantB();
      await json(await api(`/jobs/${queued.id}/events/token`, { key: a.key, method: "POST" }), 201);
      await expectError(await api(`/jobs/${queued.id}/events/token`, { key: b.key, method: "POST" }), 404, "not_found");
    });

    it("GET /jobs/{id}/events with B's key", async () => {
      const b = await tenantB();
      const res = await api(`/jobs/${queued.id}/events`, { key: b.key, headers: { accept: "text/event-stream" } });
      await expectError(res, 404, "not_found");
    });

    it("GET /jobs/{id}/events with a token B holds for its own job", async () => {
      const b = await tenantB();
      const own = await submit(b.key, later());
      const { token } = await json(await api(`/jobs/${own.id}/events/token`, { key: b.key, method: "POST" }), 201);
      const res = await exports.default.fetch(
        `https://jobs.test/api/v1/jobs/${queued.id}/events?token=${encodeURIComponent(token)}`,
        { headers: { accept: "text/event-stream" } },
      );
      await expectError(res, 404, "not_found");
    });

    it("POST /dead-letters/{id}/replay leaves the dead letter alone", async () => {
      const b = await tenantB();
      await expectError(await api(`/dead-letters/${failed.id}/replay`, { key: b.key, method: "POST" }), 404, "not_found");
      expect(await deadLetterIds(a.key)).toContain(failed.id);
      expect((await json(await api(`/jobs/${failed.id}`, { key: a.key }), 200)).status).toBe("failed");
    });

    it("DELETE /dead-letters/{id} leaves the dead letter alone", async () => {
      const b = await tenantB();
      await expectError(await api(`/dead-letters/${failed.id}`, { key: b.key, method: "DELETE" }), 404, "not_found");
      expect(await deadLetterIds(a.key)).toContain(failed.id);
    });

    it("DELETE /dead-letters (purge) only purges B's own", async () => {
      const b = await tenantB();
      expect(await json(await api("/dead-letters", { key: b.key, method: "DELETE" }), 200)).toEqual({ purged: 0 });
      expect(await deadLetterIds(a.key)).toContain(failed.id);
    });
  });

  describe("lists never include another tenant's data", () => {
    it("GET /jobs, with and without filters", async () => {
      const b = await tenantB();
      const own = await submit(b.key, later({ tags: ["shared"], priority: "low" }));
      for (const query of ["", "type=simulate", "tag=shared", "priority=low", "status=queued", "limit=200"]) {
        expect((await listJobs(b.key, query)).items.map((j) => j.id), query).toEqual([own.id]);
      }
      expect((await listJobs(b.key, "status=completed")).items).toEqual([]);
      expect((await listJobs(b.key, "status=failed")).items).toEqual([]);
      // A still sees its own three.
      expect((await listJobs(a.key, "tag=shared")).items.map((j) => j.id).sort()).toEqual(
        [queued.id, completed.id, failed.id].sort(),
      );
    });

    it("a cursor from A's list does not reveal A's jobs to B", async () => {
      const b = await tenantB();
      const page = await listJobs(a.key, "limit=1");
      expect(page.nextCursor).not.toBeNull();
      expect((await listJobs(b.key, `cursor=${page.nextCursor}`)).items).toEqual([]);
    });

    it("GET /dead-letters", async () => {
      const b = await tenantB();
      expect(await deadLetterIds(a.key)).toContain(failed.id);
      expect(await deadLetterIds(b.key)).toEqual([]);
    });

    it("GET /stats counts only the tenant's jobs", async () => {
      const b = await tenantB();
      await submit(b.key, later());
      const stats = await json(await api("/stats", { key: b.key }), 200);
      expect(stats).toMatchObject({ total: 1, byStatus: { queued: 1 }, byType: { simulate: 1 }, successRate: null });
      expect(stats.byStatus.completed).toBeUndefined();
      expect(stats.lastHour).toEqual({ completed: 0, failed: 0, perMinute: 0 });
      const statsA = await json(await api("/stats", { key: a.key }), 200);
      expect(statsA.total).toBe(3);
    });

    it("GET /queues counts only the tenant's jobs for a non-admin key", async () => {
      const b = await tenantB();
      await submit(b.key, later({ priority: "high" }));
      const lanes = await json(await api("/queues", { key: b.key }), 200);
      expect(lanes.scope).toBe("tenant");
      const byLane = Object.fromEntries(lanes.items.map((l: { lane: string }) => [l.lane, l]));
      expect(byLane.high).toMatchObject({ depth: 0, scheduled: 1, inFlight: 0 });
      // A's scheduled low-priority job is not counted for B.
      expect(byLane.low).toMatchObject({ depth: 0, scheduled: 0, inFlight: 0 });
      const platform = await json(await api("/queues"), 200);
      expect(platform.scope).toBe("platform");
      expect(platform.items.find((l: { lane: string }) => l.lane === "low").scheduled).toBeGreaterThanOrEqual(1);
    });
  });

  describe("idempotency keys are per tenant", () => {
    it("the same key in two tenants creates two jobs", async () => {
      const x = await tenantB();
      const y = await tenantB();
      const first = await json<Job>(await api("/jobs", { key: x.key, body: later({ idempotencyKey: "order-42" }) }), 202);
      const second = await json<Job>(await api("/jobs", { key: y.key, body: later({ idempotencyKey: "order-42" }) }), 202);
      expect(second.id).not.toBe(first.id);
      expect((await listJobs(x.key)).items.map((j) => j.id)).toEqual([first.id]);
      expect((await listJobs(y.key)).items.map((j) => j.id)).toEqual([second.id]);
      // ...while a repeat within one tenant still returns that tenant's job.
      const again = await json<Job>(await api("/jobs", { key: y.key, body: later({ idempotencyKey: "order-42" }) }), 200);
      expect(again.id).toBe(second.id);
    });

    it("the same key in two tenants' batches creates a job in each", async () => {
      const x = await tenantB();
      const y = await tenantB();
      const body = { jobs: [later({ idempotencyKey: "batch-key" })] };
      const bx = await json(await api("/jobs/batch", { key: x.key, body }), 202);
      const by = await json(await api("/jobs/batch", { key: y.key, body }), 202);
      expect(bx).toMatchObject({ created: 1, existing: 0 });
      expect(by).toMatchObject({ created: 1, existing: 0 });
      expect(by.items[0].id).not.toBe(bx.items[0].id);
    });
  });
});
