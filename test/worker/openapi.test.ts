// The OpenAPI document as clients and linters read it (GET /api/v1/openapi.json through the real entry
// point), and the offline API reference at /docs.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";

const ORIGIN = "https://jobs.test";
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

type Operation = { operationId?: string; security?: unknown[]; responses: Record<string, Response> };
type Response = { content?: Record<string, { schema?: Record<string, unknown> }>; headers?: Record<string, unknown> };

let document: any;
const operations: { method: string; path: string; operation: Operation }[] = [];

beforeAll(async () => {
  const res = await exports.default.fetch(`${ORIGIN}/api/v1/openapi.json`);
  expect(res.status).toBe(200);
  document = await res.json();
  for (const [path, item] of Object.entries<Record<string, Operation>>(document.paths)) {
    for (const method of METHODS) if (item[method]) operations.push({ method, path, operation: item[method] });
  }
});

const operation = (method: string, path: string) => operations.find((o) => o.method === method && o.path === path)!.operation;

/** Every schema object in `node`, with where it is. */
function* schemas(node: unknown, at = "#"): Generator<[string, Record<string, unknown>]> {
  if (!node || typeof node !== "object") return;
  yield [at, node as Record<string, unknown>];
  for (const [key, value] of Object.entries(node)) yield* schemas(value, `${at}/${key}`);
}

const allowsNull = (schema: Record<string, unknown>) =>
  schema.type === "null" || (Array.isArray(schema.type) && schema.type.includes("null")) || schema.nullable === true;

describe("OpenAPI document", () => {
  it("names every operation with a unique, readable operationId", () => {
    expect(operations.length).toBeGreaterThan(80);
    const ids = operations.map((o) => o.operation.operationId);
    for (const [i, id] of ids.entries()) expect(id, `${operations[i]!.method} ${operations[i]!.path}`).toMatch(/^[a-z][a-zA-Z]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operation("get", "/api/v1/jobs").operationId).toBe("listJobs");
    expect(operation("get", "/api/v1/jobs/{id}").operationId).toBe("getJob");
    expect(operation("post", "/api/v1/jobs/{id}/cancel").operationId).toBe("cancelJob");
    expect(operation("post", "/api/v1/schedules/{id}/pause").operationId).toBe("pauseSchedule");
  });

  it("has servers and a license", () => {
    expect(document.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    expect(document.info.license).toEqual({ name: expect.any(String), identifier: expect.any(String) });
  });

  it("marks the open routes as needing no credentials, and only them", () => {
    expect(document.security).toEqual([{ bearer: [] }]);
    expect(operation("get", "/api/v1/health").security).toEqual([]);
    expect(operation("post", "/api/v1/session").security).toEqual([]);
    const open = operations.filter((o) => o.operation.security?.length === 0).map((o) => `${o.method} ${o.path}`);
    expect(open.sort()).toEqual(["get /api/v1/health", "post /api/v1/session"]);
  });

  it("gives every response with a body its media types and a schema", () => {
    for (const { method, path, operation: op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (["101", "204", "304"].includes(status)) continue;
        const where = `${method} ${path} ${status}`;
        expect(Object.keys(response.content ?? {}), where).not.toHaveLength(0);
        for (const [type, media] of Object.entries(response.content!)) expect(media.schema, `${where} ${type}`).toBeDefined();
      }
    }
  });

  it.each([
    ["post", "/api/v1/templates/{id}/preview", "application/pdf", "binary"],
    ["post", "/api/v1/templates/preview", "text/html", undefined],
    ["get", "/api/v1/reports/{id}/diff", "text/x-diff", undefined],
    ["get", "/api/v1/reports/{id}/versions/{n}", "text/markdown", undefined],
    ["get", "/api/v1/reports/{id}/export", "application/zip", "binary"],
    ["get", "/api/v1/uploads/{id}/content", "*/*", "binary"],
    ["get", "/api/v1/jobs/{id}/events", "text/event-stream", undefined],
    ["get", "/api/v1/events", "text/event-stream", undefined],
  ])("%s %s answers %s as a string", (method, path, type, format) => {
    const schema = operation(method, path).responses["200"]!.content![type]!.schema!;
    expect(schema).toEqual(format ? { type: "string", format } : { type: "string" });
  });

  it("has no allOf around a $ref where null is allowed: no null would validate", () => {
    const broken = [...schemas(document)]
      .filter(([, s]) => Array.isArray(s.allOf) && s.allOf.some((m: any) => m.$ref) && s.allOf.some(allowsNull))
      .map(([at]) => at);
    expect(broken).toEqual([]);
    const nullRef = (ref: string) => ({ anyOf: [{ $ref: `#/components/schemas/${ref}` }, { type: "null" }] });
    expect(document.components.schemas.ScheduleRun.properties.jobStatus).toMatchObject(nullRef("JobStatus"));
    expect(document.components.schemas.Job.properties.error).toEqual(nullRef("JobError"));
    const report = operation("get", "/api/v1/reports/{id}").responses["200"]!.content!["application/json"]!.schema!;
    expect(JSON.stringify(report)).toContain(JSON.stringify(nullRef("ReportVersion")));
  });

  it("documents Location on creates and the rate-limit headers on the submits' 429s", () => {
    for (const [method, path, status] of [
      ["post", "/api/v1/jobs", "202"],
      ["post", "/api/v1/schedules", "201"],
      ["post", "/api/v1/templates", "201"],
      ["post", "/api/v1/uploads", "201"],
      ["post", "/api/v1/documents", "202"],
    ] as const) {
      expect(Object.keys(operation(method, path).responses[status]!.headers ?? {}), `${method} ${path}`).toEqual(["Location"]);
    }
    for (const path of ["/api/v1/jobs", "/api/v1/jobs/batch"]) {
      const limited = operation("post", path).responses["429"]!;
      expect(limited.content!["application/json"]!.schema).toEqual({ $ref: "#/components/schemas/Error" });
      expect(Object.keys(limited.headers!).sort()).toEqual(
        ["RateLimit-Limit", "RateLimit-Policy", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"],
      );
    }
  });
});

describe("/docs", () => {
  it("answers the API reference page, with no inline script and nothing from elsewhere", async () => {
    const res = await exports.default.fetch(`${ORIGIN}/docs`);
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const scripts = [...body.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual(['<script defer src="/docs/swagger-ui-bundle.js">', '<script defer src="/docs/start.js">']);
    expect(body).not.toMatch(/<script[^>]*>[^<]/);
  });

  it("serves Swagger UI and its start script from this worker's assets", async () => {
    for (const path of ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/start.js"]) {
      const res = await env.ASSETS.fetch(`${ORIGIN}${path}`);
      expect(res.status, path).toBe(200);
      const text = await res.text();
      expect(text.length, path).toBeGreaterThan(path.endsWith("start.js") ? 20 : 10_000);
    }
    const start = await (await env.ASSETS.fetch(`${ORIGIN}/docs/start.js`)).text();
    expect(start).toContain('url: "/api/v1/openapi.json"');
    expect(start).toContain("validatorUrl: null");
  });
});
