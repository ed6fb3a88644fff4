// The dashboard's shell, through the worker's real entry point: the static assets are the build of
// src/dashboard that vitest.config.ts runs first (scripts/build-dashboard.mjs).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const ORIGIN = "https://jobs.test";

describe("dashboard", () => {
  it("/ redirects to the dashboard", async () => {
    const res = await exports.default.fetch(`${ORIGIN}/`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/dashboard");
  });

  it.each(["/dashboard", "/dashboard/", "/dashboard/jobs", "/dashboard/jobs/job_123?status=failed"])(
    "%s answers the shell with a strict Content-Security-Policy",
    async (path) => {
      const res = await exports.default.fetch(`${ORIGIN}${path}`);
      const body = await res.text();
      expect(res.status, body).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(body).toMatch(/<script type="module" src="\/dashboard\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
      expect(body).toMatch(/<link rel="stylesheet" href="\/dashboard\/assets\/styles-[A-Z0-9]+\.css">/);
      // No inline script: the only <script> is the bundle's.
      expect(body.match(/<script/g)).toHaveLength(1);

      const csp = res.headers.get("content-security-policy")!.split(/;\s*/);
      expect(csp).toEqual([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self' ws://jobs.test wss://jobs.test",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ]);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      expect(res.headers.get("cache-control")).toBe("no-store");
    },
  );

  it("a missing bundle is 404 in the API's envelope, not the shell", async () => {
    const res = await exports.default.fetch(`${ORIGIN}/dashboard/assets/app-GONE.js`);
    expect(res.status).toBe(404);
    const body = await res.json<{ error: { code: string; message: string; requestId: string } }>();
    expect(body).toEqual({
      error: { code: "not_found", message: "dashboard asset /dashboard/assets/app-GONE.js not found", requestId: expect.any(String) },
    });
  });

  it("stays out of the OpenAPI document", async () => {
    const res = await exports.default.fetch(`${ORIGIN}/api/v1/openapi.json`);
    const document = await res.json<{ paths: Record<string, unknown> }>();
    // The API's paths only (and /metrics, where Prometheus scrapes): no /dashboard or /docs page.
    expect(Object.keys(document.paths).filter((path) => !path.startsWith("/api/v1/"))).toEqual(["/metrics"]);
    expect(Object.keys(document.paths).length).toBeGreaterThan(10);
  });
});
