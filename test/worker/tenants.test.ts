import { describe, expect, it } from "vitest";
import { shardOf } from "../../src/db/shards";
import { captureSql, expectError, later, queryPlan } from "./api-helpers";
import { insertJob } from "./engine-helpers";
import { ADMIN_KEY, api, env, json, newTenant, submit } from "./helpers";

type TenantList = { items: { tenant: string }[] };
const tenants = async () => (await json<TenantList>(await api("/tenants"), 200)).items.map((i) => i.tenant);

describe("GET /tenants", () => {
  it("lists every tenant with jobs or keys in every database, each once, sorted", async () => {
    // Storage is this file's own: the tenants made here are all there are.
    const made: string[] = [];
    const tenantOf = async () => {
      const t = await newTenant();
      made.push(t.tenant);
      return t;
    };
    const keysOnly = await tenantOf();
    const withJobs = await tenantOf();
    await submit(withJobs.key, later());
    await submit(withJobs.key, later());
    // Tenants with keys until one lives in the other database.
    let elsewhere = await tenantOf();
    while (shardOf(env, elsewhere.tenant) === shardOf(env, keysOnly.tenant)) elsewhere = await tenantOf();
    await submit(elsewhere.key, later());
    const revoked = await tenantOf();
    await json(await api(`/keys/${revoked.id}`, { method: "DELETE" }), 200);
    // Jobs of a tenant that has no key (any more): written as the engine writes them.
    const keyless = `t-keyless-${crypto.randomUUID().slice(0, 6)}`;
    await insertJob(keyless, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    expect(shardOf(env, elsewhere.tenant)).not.toBe(shardOf(env, keysOnly.tenant));

    const expected = [...made, keyless];
    expect(await json(await api("/tenants"), 200)).toEqual({ items: [...expected].sort().map((tenant) => ({ tenant })) });
    expect(await tenants()).toEqual([...new Set(await tenants())]);
  });

  it("refuses tenant keys with 403, even with the admin scope", async () => {
    const reader = await newTenant(["jobs:read"]);
    expect(await json(await api("/tenants", { key: reader.key }), 403)).toEqual({
      error: { code: "forbidden", message: "this key lacks the `admin` scope", requestId: expect.any(String) },
    });
    const tenantAdmin = await newTenant(["admin"]);
    expect(await json(await api("/tenants", { key: tenantAdmin.key }), 403)).toEqual({
      error: { code: "forbidden", message: "only the platform's admin key lists tenants", requestId: expect.any(String) },
    });
    await expectError(await api("/tenants", { key: null }), 401, "unauthorized");
    await expectError(await api("/tenants", { key: "not-a-key" }), 401, "unauthorized");
  });

  it("finds the tenants one index seek each, scanning neither jobs nor keys", async () => {
    const { statements } = await captureSql("/tenants", ADMIN_KEY);
    const listing = statements.filter((s) => /FROM api_keys/.test(s.sql));
    expect(listing.length).toBeGreaterThan(0);
    const plan = (await queryPlan(listing[0]!)).join(" | ");
    expect(plan).not.toMatch(/SCAN (jobs|api_keys)\b/);
    expect(plan).toMatch(/SEARCH jobs USING COVERING INDEX jobs_tenant_status_id/);
    expect(plan).toMatch(/SEARCH api_keys USING COVERING INDEX api_keys_tenant/);
  });

  it("is in the OpenAPI document", async () => {
    const doc = await json(await api("/openapi.json", { key: null }), 200);
    expect(Object.keys(doc.paths["/api/v1/tenants"])).toEqual(["get"]);
    expect(Object.keys(doc.paths["/api/v1/tenants"].get.responses).sort()).toEqual(["200", "401", "403", "500", "503"]);
    expect(doc.components.schemas.TenantList).toMatchObject({ properties: { items: { type: "array" } } });
  });
});
