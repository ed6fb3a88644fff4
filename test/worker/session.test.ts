import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { ADMIN_KEY, api, json, newTenant } from "./helpers";

interface Session {
  tenant: string;
  scopes: string[];
  admin: boolean;
  platform: boolean;
  csrfToken: string;
  expiresAt: string;
}

/** Signs in as the dashboard does and answers the cookie to send back and the session. */
async function signIn(apiKey: string, origin = "https://jobs.test") {
  const res = await api("/session", { key: null, body: { apiKey }, headers: { origin } });
  const session = await json<Session>(res, 200);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { session, setCookie, cookie: setCookie.split(";")[0]! };
}

/** A request with the session cookie (and no API key), as the dashboard's pages make them. */
function withSession(path: string, cookie: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  return api(path, { ...options, key: null, headers: { cookie, ...options.headers } });
}

describe("dashboard sessions", () => {
  it("signs in with a tenant key: an HttpOnly, SameSite=Strict, Secure, expiring cookie that acts as the key", async () => {
    const { tenant, key } = await newTenant(["jobs:read", "jobs:write"]);
    const { session, setCookie, cookie } = await signIn(key);
    expect(session).toMatchObject({ tenant, scopes: ["jobs:read", "jobs:write"], admin: false, platform: false });
    expect(session.csrfToken.length).toBeGreaterThanOrEqual(16);
    expect(Date.parse(session.expiresAt) - Date.now()).toBeGreaterThan(11 * 3_600_000);
    expect(setCookie).toMatch(/^ej_session=[^;]+; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(setCookie).not.toContain(key);

    expect(await json(await withSession("/session", cookie), 200)).toMatchObject({ tenant, csrfToken: session.csrfToken });
    const created = await json(
      await withSession("/jobs", cookie, { method: "POST", body: { type: "simulate", input: {} }, headers: { "x-csrf-token": session.csrfToken } }),
      202,
    );
    const listed = await json(await withSession("/jobs", cookie), 200);
    expect(listed.items.map((j: { id: string }) => j.id)).toEqual([created.id]);
  });

  it("refuses a state-changing request without the session's CSRF token, or from another site", async () => {
    const { key } = await newTenant();
    const { session, cookie } = await signIn(key);
    const body = { type: "simulate", input: {} };
    await expectError(await withSession("/jobs", cookie, { method: "POST", body }), 403, "csrf_failed");
    await expectError(await withSession("/jobs", cookie, { method: "POST", body, headers: { "x-csrf-token": "x".repeat(32) } }), 403, "csrf_failed");
    const crossSite = { "x-csrf-token": session.csrfToken, origin: "https://evil.example" };
    await expectError(await withSession("/jobs", cookie, { method: "POST", body, headers: crossSite }), 403, "cross_origin");
    await expectError(await api("/session", { key: null, body: { apiKey: key }, headers: { origin: "https://evil.example" } }), 403, "cross_origin");
    expect((await json(await withSession("/jobs", cookie), 200)).items).toEqual([]);
  });

  it("refuses a wrong key, a forged or tampered cookie, and a missing one", async () => {
    await expectError(await api("/session", { key: null, body: { apiKey: "ejk_nope" } }), 401, "unauthorized");
    await expectError(await api("/session", { key: null, body: {} }), 400);
    await expectError(await api("/session", { key: null, body: "not json" }), 400);
    const { key } = await newTenant();
    const { cookie } = await signIn(key);
    const [name, value] = cookie.split("=") as [string, string];
    const [payload, signature] = value.split(".") as [string, string];
    const forged = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    forged.tenant = "someone-else";
    const forgedPayload = btoa(JSON.stringify(forged)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    await expectError(await withSession("/jobs", `${name}=${forgedPayload}.${signature}`), 401, "unauthorized");
    await expectError(await withSession("/jobs", `${name}=garbage`), 401, "unauthorized");
    await expectError(await api("/session", { key: null }), 401, "unauthorized");
  });

  it("ends with sign-out, and when its key is revoked", async () => {
    const { key, id } = await newTenant();
    const first = await signIn(key);
    await expectError(await withSession("/session", first.cookie, { method: "DELETE" }), 403, "csrf_failed");
    const out = await withSession("/session", first.cookie, { method: "DELETE", headers: { "x-csrf-token": first.session.csrfToken } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^ej_session=; Max-Age=0; Path=\//);
    // A copy of the cookie kept from before is refused too: sign-out ends the session on the server.
    await expectError(await withSession("/jobs", first.cookie), 401, "unauthorized");
    await expectError(await withSession("/session", first.cookie), 401, "unauthorized");

    const second = await signIn(key);
    expect((await withSession("/jobs", second.cookie)).status).toBe(200);
    expect((await api(`/keys/${id}`, { method: "DELETE" })).status).toBe(200);
    await expectError(await withSession("/jobs", second.cookie), 401, "unauthorized");
    await expectError(await withSession("/session", second.cookie), 401, "unauthorized");
  });

  it("keeps a tenant key's session inside its tenant and its scopes", async () => {
    const reader = await newTenant(["jobs:read"]);
    const other = await newTenant();
    const job = await json(await api("/jobs", { key: other.key, body: { type: "simulate", input: {} } }), 202);
    const { session, cookie } = await signIn(reader.key);
    await expectError(await withSession(`/jobs/${job.id}`, cookie), 404, "not_found");
    const csrf = { "x-csrf-token": session.csrfToken };
    await expectError(await withSession("/jobs", cookie, { method: "POST", body: { type: "simulate", input: {} }, headers: csrf }), 403, "forbidden");
    await expectError(await withSession("/session/tenant", cookie, { method: "PUT", body: { tenant: other.tenant }, headers: csrf }), 403, "forbidden");
    await expectError(await withSession("/keys", cookie), 403, "forbidden");
  });

  it("lets an admin session switch tenants, acting inside the chosen one only", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const jobA = await json(await api("/jobs", { key: a.key, body: { type: "simulate", input: {} } }), 202);
    const { session, cookie } = await signIn(ADMIN_KEY);
    expect(session).toMatchObject({ tenant: "admin", admin: true, platform: true });
    const csrf = { "x-csrf-token": session.csrfToken };
    const switched = await withSession("/session/tenant", cookie, { method: "PUT", body: { tenant: a.tenant }, headers: csrf });
    const asA = await json<Session>(switched, 200);
    expect(asA).toMatchObject({ tenant: a.tenant, admin: true, platform: false });
    const cookieA = switched.headers.get("set-cookie")!.split(";")[0]!;
    // Switched, it still lists every tenant for the switcher.
    const tenants = await json(await withSession("/tenants", cookieA), 200);
    expect(tenants.items.map((t: { tenant: string }) => t.tenant)).toEqual(expect.arrayContaining([a.tenant, b.tenant]));
    expect((await json(await withSession("/jobs", cookieA), 200)).items.map((j: { id: string }) => j.id)).toEqual([jobA.id]);

    const toB = await withSession("/session/tenant", cookieA, { method: "PUT", body: { tenant: b.tenant }, headers: csrf });
    const cookieB = toB.headers.get("set-cookie")!.split(";")[0]!;
    await expectError(await withSession(`/jobs/${jobA.id}`, cookieB), 404, "not_found");
    await expectError(await withSession("/session/tenant", cookieB, { method: "PUT", body: { tenant: "Bad Name" }, headers: csrf }), 400);
  });

  it("lets websockets to a job's events and to the tenant's feed authenticate with the cookie, from the same site only", async () => {
    const { key } = await newTenant();
    const job = await json(await api("/jobs", { key, body: { type: "simulate", input: {} } }), 202);
    const { cookie } = await signIn(key);
    const res = await withSession(`/jobs/${job.id}/events`, cookie, { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    res.webSocket!.close(1000, "done");
    await expectError(await withSession(`/jobs/${job.id}/events`, cookie, { headers: { upgrade: "websocket", origin: "https://evil.example" } }), 403, "cross_origin");
    const feed = await withSession("/events", cookie, { headers: { upgrade: "websocket", origin: "https://jobs.test" } });
    expect(feed.status).toBe(101);
    feed.webSocket!.accept();
    feed.webSocket!.close(1000, "done");
    await expectError(await withSession("/events", cookie, { headers: { upgrade: "websocket", origin: "https://evil.example" } }), 403, "cross_origin");
  });
});
