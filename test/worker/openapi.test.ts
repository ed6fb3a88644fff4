// The OpenAPI document as clients and linters read it (GET /api/v1/openapi.json through the real entry
// point), and the offline API reference at /docs.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors";

const ORIGIN = "https://jobs.test";
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

type Operation = { operationId?: string; security?: unknown[]; responses: Record<string, Response> };
type Response = {
  $ref?: string;
  content?: Record<string, { schema?: Record<string, unknown>; "x-itemSchema"?: unknown }>;
  headers?: Record<string, unknown>;
};

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
/** A response as written, or the shared one (`#/components/responses/...`) it refers to. */
const resolved = (response: Response): Response =>
  response.$ref ? document.components.responses[response.$ref.replace("#/components/responses/", "")] : response;
const responseOf = (method: string, path: string, status: string) => resolved(operation(method, path).responses[status]!);

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
    // A handler's callbacks: the attempt-scoped token in the path is their credential.
    const callbacks = ["complete", "fail", "progress"].map((a) => `post /api/v1/callbacks/{tenant}/{jobId}/{token}/${a}`);
    expect(open.sort()).toEqual(["get /api/v1/health", ...callbacks, "post /api/v1/session"]);
  });

  it("gives every response with a body its media types and a schema", () => {
    for (const { method, path, operation: op } of operations) {
      for (const [status, response] of Object.entries(op.responses).map(([s, r]) => [s, resolved(r)] as const)) {
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
    ["get", "/metrics", "text/plain; version=0.0.4; charset=utf-8", undefined],
  ])("%s %s answers %s as a string", (method, path, type, format) => {
    const schema = operation(method, path).responses["200"]!.content![type]!.schema!;
    expect(schema).toEqual(format ? { type: "string", format } : { type: "string" });
  });

  it.each([
    ["/api/v1/jobs/{id}/events", "JobEvent", ["JobSnapshotEvent", "JobProgressEvent", "JobStatusEvent"]],
    ["/api/v1/events", "FeedEvent", ["FeedReadyEvent", "FeedResetEvent", "FeedJobEvent", "FeedProgressEvent"]],
  ])("GET %s streams SSE whose events are %s messages, each a schema of its own", (path, name, members) => {
    const media = operation("get", path).responses["200"]!.content!["text/event-stream"]!;
    expect(media.schema).toMatchObject({ type: "string", description: expect.stringContaining(name) });
    expect(media["x-itemSchema"]).toEqual({ $ref: `#/components/schemas/${name}` });
    const union = document.components.schemas[name];
    expect(union.oneOf).toEqual(members.map((m) => ({ $ref: `#/components/schemas/${m}` })));
    expect(union.discriminator.propertyName).toBe("type");
    for (const member of members) expect(document.components.schemas[member].required, member).toEqual(expect.arrayContaining(["type", "seq"]));
    expect(operation("get", path).responses["101"]).toMatchObject({ description: expect.stringContaining(name) });
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

  it("has no allOf with a member that forbids additional properties: the other members' would be refused", () => {
    const target = (s: Record<string, unknown>) => (s.$ref ? document.components.schemas[String(s.$ref).split("/").pop()!] : s);
    const broken = [...schemas(document)]
      .filter(([, s]) => Array.isArray(s.allOf) && s.allOf.length > 1 && s.allOf.some((m: any) => target(m)?.additionalProperties === false))
      .map(([at]) => at);
    expect(broken).toEqual([]);
  });

  it("documents Location on creates, and the rate-limit headers on submissions", () => {
    const headersOf = (method: string, path: string, status: string) => Object.keys(responseOf(method, path, status).headers ?? {}).sort();
    for (const [method, path, status] of [
      ["post", "/api/v1/schedules", "201"],
      ["post", "/api/v1/templates", "201"],
      ["post", "/api/v1/uploads", "201"],
      ["post", "/api/v1/documents", "202"],
      ["post", "/api/v1/reports", "201"],
      ["post", "/api/v1/reports/import", "201"],
    ] as const) {
      expect(headersOf(method, path, status), `${method} ${path}`).toEqual(["Location", "x-request-id"]);
    }
    const rateLimit = ["RateLimit-Limit", "RateLimit-Policy", "RateLimit-Remaining", "RateLimit-Reset"];
    expect(headersOf("post", "/api/v1/jobs", "202")).toEqual(["Location", ...rateLimit, "x-request-id"]);
    expect(headersOf("post", "/api/v1/jobs/batch", "202")).toEqual([...rateLimit, "x-request-id"]);
    for (const path of ["/api/v1/jobs", "/api/v1/jobs/batch", "/api/v1/jobs/bulk", "/api/v1/refresh/{resource}", "/api/v1/schedules/{id}/trigger", "/api/v1/documents"]) {
      const limited = responseOf("post", path, "429");
      expect(limited.content!["application/json"]!.schema, path).toEqual({ $ref: "#/components/schemas/Error" });
      expect(headersOf("post", path, "429"), path).toEqual([...rateLimit, "Retry-After", "x-request-id"]);
      expect(limited.headers!["Retry-After"]).toMatchObject({ required: true, schema: { type: "integer" } });
    }
  });

  it("lists every error code as an enum, the one list src/errors.ts keeps", () => {
    expect(document.components.schemas.ErrorCode).toMatchObject({ type: "string", enum: [...ERROR_CODES] });
    expect(document.components.schemas.Error.properties.error.properties.code).toEqual({ $ref: "#/components/schemas/ErrorCode" });
    for (const code of ["validation_failed", "malformed_json", "payload_too_large", "unauthorized", "forbidden", "rate_limited", "quota_live_jobs", "internal_error"]) {
      expect(ERROR_CODES, code).toContain(code);
    }
  });

  it("declares on every operation the errors it can give, and x-request-id on every answer", () => {
    expect(Object.keys(document.components.headers)).toEqual(["RequestId"]);
    for (const { method, path, operation: op } of operations) {
      const where = `${method} ${path}`;
      const statuses = Object.keys(op.responses);
      expect(statuses, where).toContain("500");
      if (path !== "/api/v1/health") expect(statuses.some((s) => s.startsWith("4")), where).toBe(true);
      if (op.security?.length !== 0) expect(statuses, where).toEqual(expect.arrayContaining(["401", "403"]));
      if (path.includes("{id}")) expect(statuses, where).toContain("404");
      if ((op as { requestBody?: unknown }).requestBody) expect(statuses, where).toEqual(expect.arrayContaining(["400", "413"]));
      for (const [status, response] of Object.entries(op.responses)) {
        expect(resolved(response).headers?.["x-request-id"], `${where} ${status}`).toEqual({ $ref: "#/components/headers/RequestId" });
      }
    }
    expect(operation("get", "/api/v1/jobs/{id}").responses["401"]).toEqual({ $ref: "#/components/responses/Unauthorized" });
    expect(Object.keys(operation("get", "/api/v1/health").responses)).toEqual(["200", "500", "503"]);
  });

  it("names the headers of downloads: ETag, Content-Disposition, Content-Range", () => {
    const headersOf = (method: string, path: string, status: string) => Object.keys(responseOf(method, path, status).headers ?? {});
    expect(headersOf("get", "/api/v1/reports/{id}/versions/{n}", "200")).toEqual(expect.arrayContaining(["ETag", "X-Content-SHA256"]));
    expect(headersOf("get", "/api/v1/reports/{id}/versions/{n}", "304")).toEqual(expect.arrayContaining(["ETag"]));
    expect(headersOf("get", "/api/v1/reports/{id}/export", "200")).toContain("Content-Disposition");
    expect(headersOf("get", "/api/v1/uploads/{id}/content", "206")).toEqual(expect.arrayContaining(["Content-Range", "ETag"]));
    expect(headersOf("get", "/api/v1/uploads/{id}/content", "416")).toContain("Content-Range");
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
