import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { handler } from "./engine-helpers";
import { api, env, json, newTenant } from "./helpers";

const reportsTenant = () => newTenant(["reports:read", "reports:write"]);

async function versionsOf(key: string, id: string) {
  return (await json(await api(`/reports/${id}/versions`, { key }), 200)).items.map((v: any) => v.version);
}

describe("report retention", () => {
  it("reads and changes the tenant's settings, refusing bad values", async () => {
    const { key } = await reportsTenant();
    const settings = (keepVersions: number | null) => ({ reports: { keepVersions }, jobs: { retentionDays: null, effectiveRetentionDays: 30, concurrencyLimit: null }, quotas: expect.any(Object), marketplace: { displayName: null }, search: { analytics: true, retentionDays: null, effectiveRetentionDays: 30 } });
    expect(await json(await api("/settings", { key }), 200)).toEqual(settings(null));
    expect(await json(await api("/settings", { key, method: "PUT", body: { reports: { keepVersions: 3 } } }), 200)).toEqual(settings(3));
    expect(await json(await api("/settings", { key }), 200)).toEqual(settings(3));
    for (const body of [{}, { reports: { keepVersions: 0 } }, { reports: { keepVersions: "3" } }]) {
      expect((await api("/settings", { key, method: "PUT", body })).status, JSON.stringify(body)).toBe(400);
    }
    const other = await reportsTenant();
    expect(await json(await api("/settings", { key: other.key }), 200)).toEqual(settings(null));
  });

  it("the Cron Trigger keeps each report's newest versions as its tenant asks, and no other tenant's", async () => {
    const a = await reportsTenant();
    const b = await reportsTenant();
    let ids: string[] = [];
    for (const tenant of [a, b]) {
      for (let v = 1; v <= 5; v++) {
        const stored = await json(await api("/reports", { key: tenant.key, body: { name: "daily", format: "text", content: `day ${v}\n` } }), 201);
        ids.push(stored.report.id);
      }
    }
    ids = [...new Set(ids)];
    await json(await api("/settings", { key: a.key, method: "PUT", body: { reports: { keepVersions: 2 } } }), 200);

    const ctx = createExecutionContext();
    await handler.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);

    expect(await versionsOf(a.key, ids[0]!)).toEqual([5, 4]);
    expect(await versionsOf(b.key, ids[1]!)).toEqual([5, 4, 3, 2, 1]);
    expect((await env.BUCKET.list({ prefix: `reports/${a.tenant}/` })).objects).toHaveLength(2);
    expect((await env.BUCKET.list({ prefix: `reports/${b.tenant}/` })).objects).toHaveLength(5);
  });
});
