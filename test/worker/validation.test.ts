import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { detailPaths, expectError, expectNoJobs, later } from "./api-helpers";
import { api, json, newTenant, submit } from "./helpers";

const MiB = 1024 * 1024;

/** POSTs a raw body to /jobs as the tenant. */
const post = (key: string, body: unknown, path = "/jobs", headers?: Record<string, string>) =>
  api(path, { key, method: "POST", body, headers });

describe("single submit: malformed bodies", () => {
  it("rejects malformed JSON with 400 malformed_json", async () => {
    const { key } = await newTenant();
    await expectError(await post(key, '{"type": "simulate",'), 400, "malformed_json");
    await expectNoJobs(key);
  });

  it.each([
    ["an array", "[1, 2, 3]"],
    ["a string", '"simulate"'],
    ["a number", "42"],
    ["null", "null"],
  ])("rejects %s as the body with 400 validation_failed", async (_what, body) => {
    const { key } = await newTenant();
    const error = await expectError(await post(key, body), 400, "validation_failed");
    expect(error.details!.length).toBeGreaterThan(0);
    await expectNoJobs(key);
  });

  it("rejects a body without `type`", async () => {
    const { key } = await newTenant();
    const error = await expectError(await post(key, { input: { steps: 1 } }), 400, "validation_failed");
    expect(detailPaths(error)).toContain("type");
    await expectNoJobs(key);
  });

  it("rejects an empty `type`", async () => {
    const { key } = await newTenant();
    const error = await expectError(await post(key, { type: "" }), 400, "validation_failed");
    expect(detailPaths(error)).toContain("type");
    await expectNoJobs(key);
  });

  it("rejects a body with the wrong content-type (415)", async () => {
    const { key } = await newTenant();
    const body = JSON.stringify({ type: "simulate" });
    await expectError(await post(key, body, "/jobs", { "content-type": "text/plain" }), 415);
    await expectError(await post(key, body, "/jobs", { "content-type": "application/x-www-form-urlencoded" }), 415);
    await expectError(await post(key, { jobs: [later()] }, "/jobs/batch", { "content-type": "text/plain" }), 415);
    await expectNoJobs(key);
  });

  it("rejects a body without a content-type (415)", async () => {
    const { key } = await newTenant();
    const res = await exports.default.fetch("https://jobs.test/api/v1/jobs", {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: new TextEncoder().encode(JSON.stringify({ type: "simulate" })),
    });
    await expectError(res, 415);
    await expectNoJobs(key);
  });
});

describe("odd input is always a 4xx, never a 5xx", () => {
  const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  it.each([
    ["an out-of-range number", '{"type":"simulate","input":{"steps":1e400}}', 422],
    ["null input", '{"type":"simulate","input":null}', 422],
    ["deeply nested input", `{"type":"simulate","input":${deep(50_000)}}`, 422],
    ["a deeply nested body", deep(50_000), 400],
    ["a lone surrogate in type", '{"type":"\\ud800"}', 422],
    ["a 101-character type", JSON.stringify({ type: "x".repeat(101) }), 400],
    ["an empty body", "", 400],
    ["trailing garbage", '{"type":"simulate"} extra', 400],
  ])("%s", async (_what, body, status) => {
    const { key } = await newTenant();
    await expectError(await post(key, body), status);
    await expectNoJobs(key);
  });
});

describe("single submit: job type and input", () => {
  it("rejects an unknown job type with 422 invalid_job, detail path `type`", async () => {
    const { key } = await newTenant();
    const error = await expectError(await post(key, { type: "no.such.type" }), 422, "invalid_job");
    expect(error.details).toEqual([expect.objectContaining({ path: "type", message: expect.stringContaining("no.such.type") })]);
    await expectNoJobs(key);
  });

  it("rejects input failing the type's schema with one detail per field", async () => {
    const { key } = await newTenant();
    const res = await post(key, { type: "simulate", input: { steps: -1, stepMs: "x" } });
    const error = await expectError(res, 422, "invalid_job");
    expect(detailPaths(error).sort()).toEqual(["input.stepMs", "input.steps"]);
    for (const detail of error.details!) expect(detail.message.length).toBeGreaterThan(0);
    await expectNoJobs(key);
  });

  it("rejects input of the wrong JSON kind with detail path `input`", async () => {
    const { key } = await newTenant();
    const error = await expectError(await post(key, { type: "simulate", input: "steps=3" }), 422, "invalid_job");
    expect(detailPaths(error)).toEqual(["input"]);
    await expectNoJobs(key);
  });

  it("rejects a timeout too long for a job that is not durable", async () => {
    const { key } = await newTenant();
    const res = await post(key, { type: "simulate", timeoutMs: 60 * 60_000 });
    const error = await expectError(res, 422, "invalid_job");
    expect(detailPaths(error)).toEqual(["timeoutMs"]);
    await expectNoJobs(key);
  });
});

describe("single submit: envelope fields", () => {
  it.each([
    ["a bad priority", { priority: "urgent" }, "priority"],
    ["a bad runAt", { runAt: "tomorrow at noon" }, "runAt"],
    ["a runAt without a timezone", { runAt: "2030-01-01T10:00:00" }, "runAt"],
    ["both runAt and delayMs", { runAt: "2030-01-01T10:00:00.000Z", delayMs: 1_000 }, "runAt"],
    ["a negative delayMs", { delayMs: -5 }, "delayMs"],
    ["a fractional maxAttempts", { maxAttempts: 1.5 }, "maxAttempts"],
    ["too many tags", { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, "tags"],
    ["a non-string tag", { tags: [7] }, "tags.0"],
    ["an empty idempotencyKey", { idempotencyKey: "" }, "idempotencyKey"],
    ["a bad backoff type", { backoff: { type: "random" } }, "backoff.type"],
  ])("rejects %s with 400 validation_failed", async (_what, extra, path) => {
    const { key } = await newTenant();
    const error = await expectError(await post(key, { type: "simulate", ...extra }), 400, "validation_failed");
    expect(detailPaths(error)).toContain(path);
    await expectNoJobs(key);
  });

  it("rejects an unknown extra field (the schema is strict)", async () => {
    const { key } = await newTenant();
    const error = await expectError(await post(key, { type: "simulate", color: "blue" }), 400, "validation_failed");
    expect(JSON.stringify(error.details)).toContain("color");
    await expectNoJobs(key);
  });
});

describe("body size limits", () => {
  it("rejects a single submit over 1 MiB with 413 payload_too_large", async () => {
    const { key } = await newTenant();
    const body = { type: "simulate", input: { steps: 1, pad: "x".repeat(MiB + 16) } };
    await expectError(await post(key, body), 413, "payload_too_large");
    await expectNoJobs(key);
  });

  it("accepts a batch over 1 MiB (the batch limit is 10 MiB)", async () => {
    const { key } = await newTenant();
    const jobs = [0, 1].map(() => later({ input: { steps: 1, pad: "x".repeat(0.75 * MiB) } }));
    const res = await post(key, { jobs }, "/jobs/batch");
    expect(res.status, await res.clone().text()).toBe(202);
    expect(((await res.json()) as { created: number }).created).toBe(2);
  });

  it("rejects a batch over 10 MiB with 413 payload_too_large", async () => {
    const { key } = await newTenant();
    const jobs = Array.from({ length: 11 }, () => later({ input: { pad: "x".repeat(MiB) } }));
    await expectError(await post(key, { jobs }, "/jobs/batch"), 413, "payload_too_large");
    await expectNoJobs(key);
  });
});

describe("batch submit", () => {
  it("is all or nothing: one bad input among many is 422 and creates no job", async () => {
    const { key } = await newTenant();
    const jobs = Array.from({ length: 10 }, () => later());
    jobs[6] = later({ input: { steps: 0 } });
    const error = await expectError(await post(key, { jobs }, "/jobs/batch"), 422, "invalid_job");
    expect(detailPaths(error)).toEqual(["jobs.6.input.steps"]);
    await expectNoJobs(key);
  });

  it("reports every bad job by index", async () => {
    const { key } = await newTenant();
    const jobs = [later(), later({ type: "nope" }), later(), later({ input: { stepMs: "slow" } })];
    const error = await expectError(await post(key, { jobs }, "/jobs/batch"), 422, "invalid_job");
    expect(detailPaths(error).sort()).toEqual(["jobs.1.type", "jobs.3.input.stepMs"]);
    await expectNoJobs(key);
  });

  it("rejects a schema error inside one job with its index in the path", async () => {
    const { key } = await newTenant();
    const jobs = [later(), later({ priority: "urgent" })];
    const error = await expectError(await post(key, { jobs }, "/jobs/batch"), 400, "validation_failed");
    expect(detailPaths(error)).toContain("jobs.1.priority");
    await expectNoJobs(key);
  });

  it("rejects more than 1,000 jobs with 400", async () => {
    const { key } = await newTenant();
    const jobs = Array.from({ length: 1_001 }, () => ({ type: "simulate" }));
    const error = await expectError(await post(key, { jobs }, "/jobs/batch"), 400, "validation_failed");
    expect(detailPaths(error)).toContain("jobs");
    await expectNoJobs(key);
  });

  it("rejects an empty batch with 400", async () => {
    const { key } = await newTenant();
    const error = await expectError(await post(key, { jobs: [] }, "/jobs/batch"), 400, "validation_failed");
    expect(detailPaths(error)).toContain("jobs");
  });

  it("rejects a batch body that is not `{jobs: [...]}`", async () => {
    const { key } = await newTenant();
    await expectError(await post(key, [later()], "/jobs/batch"), 400, "validation_failed");
    await expectError(await post(key, { jobs: [later()], extra: 1 }, "/jobs/batch"), 400, "validation_failed");
    await expectError(await post(key, "{jobs:", "/jobs/batch"), 400, "malformed_json");
    await expectNoJobs(key);
  });
});

describe("list query parameters", () => {
  it("rejects a garbage cursor with 400 invalid_cursor", async () => {
    const { key } = await newTenant();
    await expectError(await api("/jobs?cursor=garbage", { key }), 400, "invalid_cursor");
  });

  it("rejects a well-encoded cursor this API did not issue", async () => {
    const { key } = await newTenant();
    const forged = btoa(JSON.stringify({ page: 2 })).replace(/=+$/, "");
    await expectError(await api(`/jobs?cursor=${forged}`, { key }), 400, "invalid_cursor");
    await expectError(await api("/dead-letters?cursor=garbage", { key }), 400, "invalid_cursor");
  });

  it.each(["0", "201", "abc", "1.5", "-3"])("rejects limit=%s with 400 validation_failed", async (limit) => {
    const { key } = await newTenant();
    const error = await expectError(await api(`/jobs?limit=${limit}`, { key }), 400, "validation_failed");
    expect(detailPaths(error)).toContain("limit");
  });

  it.each([
    ["status=done", "status"],
    ["priority=urgent", "priority"],
    ["createdAfter=yesterday", "createdAfter"],
    ["createdBefore=2030-13-45T00:00:00Z", "createdBefore"],
  ])("rejects %s with 400 validation_failed", async (query, path) => {
    const { key } = await newTenant();
    const error = await expectError(await api(`/jobs?${query}`, { key }), 400, "validation_failed");
    expect(detailPaths(error)).toContain(path);
  });
});

describe("unknown resources", () => {
  it.each([
    ["GET", "/jobs/job_00000000000000000000000000"],
    ["GET", "/jobs/job_00000000000000000000000000/result"],
    ["GET", "/jobs/job_00000000000000000000000000/attempts"],
    ["GET", "/jobs/job_00000000000000000000000000/logs"],
    ["POST", "/jobs/job_00000000000000000000000000/cancel"],
    ["POST", "/jobs/job_00000000000000000000000000/retry"],
    ["POST", "/jobs/job_00000000000000000000000000/events/token"],
    ["POST", "/dead-letters/job_00000000000000000000000000/replay"],
    ["DELETE", "/dead-letters/job_00000000000000000000000000"],
  ])("%s %s of an unknown job is 404 not_found", async (method, path) => {
    const { key } = await newTenant();
    await expectError(await api(path, { key, method }), 404, "not_found");
  });

  it("an unknown route under /api/v1 is a 404 JSON error", async () => {
    const { key } = await newTenant();
    const error = await expectError(await api("/no-such-thing", { key }), 404, "not_found");
    expect(error.message).toContain("/api/v1/no-such-thing");
  });

  it("an unknown route outside the API is a 404 JSON error", async () => {
    await expectError(await exports.default.fetch("https://jobs.test/nowhere"), 404, "not_found");
  });

  it("a route with the wrong method is a 4xx JSON error", async () => {
    const { key } = await newTenant();
    const res = await api("/jobs", { key, method: "PUT", body: later() });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await expectError(res, res.status);
    await expectNoJobs(key);
  });
});

describe("state conflicts", () => {
  it("cancelling a finished job is 409 invalid_state", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    await json(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 200);
    await expectError(await api(`/jobs/${job.id}/cancel`, { key, method: "POST" }), 409, "invalid_state");
  });

  it("retrying a job that has not failed is 409 invalid_state", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    await expectError(await api(`/jobs/${job.id}/retry`, { key, method: "POST" }), 409, "invalid_state");
    expect((await json(await api(`/jobs/${job.id}`, { key }), 200)).status).toBe("queued");
  });

  it("replaying a job that is not a dead letter is 404", async () => {
    const { key } = await newTenant();
    const job = await submit(key, later());
    await expectError(await api(`/dead-letters/${job.id}/replay`, { key, method: "POST" }), 404, "not_found");
  });

  it("pausing an unknown lane is 400", async () => {
    const error = await expectError(await api("/queues/urgent/pause", { method: "POST" }), 400, "validation_failed");
    expect(detailPaths(error)).toContain("lane");
  });

  it("an id longer than 64 characters is 400", async () => {
    const { key } = await newTenant();
    await expectError(await api(`/jobs/${"j".repeat(65)}`, { key }), 400, "validation_failed");
  });
});

describe("error envelope", () => {
  it("carries the request id in the envelope and the x-request-id header", async () => {
    const { key } = await newTenant();
    const res = await api("/jobs", { key, body: { type: "nope" }, headers: { "cf-ray": "ray-1234" } });
    const header = res.headers.get("x-request-id");
    const error = await expectError(res, 422, "invalid_job");
    expect(error.requestId).toBe("ray-1234");
    expect(header).toBe("ray-1234");
  });

  it("gives every request a distinct request id when no cf-ray is sent", async () => {
    const { key } = await newTenant();
    const a = await expectError(await post(key, { type: "nope" }), 422);
    const b = await expectError(await post(key, { type: "nope" }), 422);
    expect(a.requestId).not.toBe(b.requestId);
  });
});
