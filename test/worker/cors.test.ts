import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { api, json, newTenant, submit } from "./helpers";

const APP = "https://app.example";
const url = (path: string) => `https://jobs.test/api/v1${path}`;

function preflight(path: string, origin: string, method = "POST") {
  return exports.default.fetch(url(path), {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization, content-type" },
  });
}

describe("CORS for browser apps on other origins", () => {
  it("answers a preflight from an allowed origin, without credentials", async () => {
    const res = await preflight("/jobs", APP);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-methods")).toBe("GET,HEAD,POST,PUT,PATCH,DELETE");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization,content-type,last-event-id");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("gives another origin nothing to read", async () => {
    const res = await preflight("/jobs", "https://evil.example");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const { key } = await newTenant();
    const listed = await exports.default.fetch(url("/jobs"), { headers: { origin: "https://evil.example", authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets the allowed origin read answers, errors and the headers it needs", async () => {
    const { key } = await newTenant();
    const created = await exports.default.fetch(url("/jobs"), {
      method: "POST",
      headers: { origin: APP, authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "simulate", input: { steps: 1, stepMs: 0 } }),
    });
    expect(created.status).toBe(202);
    expect(created.headers.get("access-control-allow-origin")).toBe(APP);
    expect(created.headers.get("access-control-expose-headers")).toContain("location");
    expect(created.headers.get("access-control-expose-headers")).toContain("retry-after");
    const refused = await exports.default.fetch(url("/jobs"), { headers: { origin: APP } });
    expect(refused.headers.get("access-control-allow-origin")).toBe(APP);
    await expectError(refused, 401, "unauthorized");
  });

  it("streams the tenant's feed to the allowed origin with a key", async () => {
    const { key } = await newTenant();
    const controller = new AbortController();
    const res = await exports.default.fetch(url("/events"), {
      headers: { origin: APP, accept: "text/event-stream", authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("event: ready")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  });

  it("serves a job's SSE stream to an EventSource on the allowed origin with a watch token", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const { token } = await json(await api(`/jobs/${job.id}/events/token`, { key, method: "POST" }), 201);
    const res = await exports.default.fetch(url(`/jobs/${job.id}/events?token=${encodeURIComponent(token)}`), {
      headers: { origin: APP, accept: "text/event-stream" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(await res.text()).toContain("event: snapshot");
  });
});
