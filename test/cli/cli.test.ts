import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgeJobs } from "edge-jobs/client";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "../e2e/dev-server";
import { edgeJobs } from "./run";

let server: DevServer;
let env: Record<string, string>;
const tenant = `cli-${Date.now().toString(36)}`;
const scratch = mkdtempSync(join(tmpdir(), "edge-jobs-cli-"));

beforeAll(async () => {
  server = await startDevServer();
  const admin = new EdgeJobs({ baseUrl: server.url, apiKey: E2E_ADMIN_KEY });
  const { key } = await admin.keys.create({ name: "cli-tests", tenant, scopes: ["jobs:read", "jobs:write", "admin"] });
  env = { EDGE_JOBS_URL: server.url, EDGE_JOBS_KEY: key };
});
afterAll(async () => {
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe("edge-jobs CLI", () => {
  it("logs in to a file only the user can read, which later commands use", async () => {
    const home = join(scratch, "home");
    const config = { HOME: home, XDG_CONFIG_HOME: join(home, "xdg") };
    const login = await edgeJobs(["login", "--url", server.url, "--key", env.EDGE_JOBS_KEY!], config);
    expect(login).toMatchObject({ code: 0, stderr: "" });
    const path = join(home, "xdg", "edge-jobs", "config.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(json(readFileSync(path, "utf8"))).toEqual({ url: server.url, key: env.EDGE_JOBS_KEY });
    const listed = await edgeJobs(["jobs", "list", "--json"], config);
    expect(listed.code).toBe(0);
    expect(Array.isArray(JSON.parse(listed.stdout))).toBe(true);
    // The environment overrides the file.
    const overridden = await edgeJobs(["jobs", "list"], { ...config, EDGE_JOBS_KEY: "not-a-key" });
    expect(overridden.code).toBe(3);
  });

  it("refuses to save a key the server rejects", async () => {
    const home = join(scratch, "rejected");
    const login = await edgeJobs(["login", "--url", server.url, "--key", "not-a-key"], { HOME: home, XDG_CONFIG_HOME: home });
    expect(login.code).toBe(3);
    expect(login.stderr).toMatch(/HTTP 401/);
    expect(() => statSync(join(home, "edge-jobs", "config.json"))).toThrow();
  });

  it("submits a job and follows its progress to the end, exiting 0", async () => {
    const run = await edgeJobs(["jobs", "submit", "simulate", "--input", '{"steps":5,"stepMs":300}', "--tag", "cli-watch", "--watch"], env);
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split("\n");
    expect(lines.some((l) => /^job_\S+ running +\d+%/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/ completed 100%/);
    expect(run.stdout).toMatch(/^status: +completed$/m);
  });

  it("exits 1 when the watched job fails", async () => {
    const input = JSON.stringify({ steps: 1, stepMs: 0, failUntilAttempt: 10 });
    const run = await edgeJobs(["jobs", "submit", "simulate", "--input", input, "--max-attempts", "1", "--watch", "--json"], env);
    expect(run.code).toBe(1);
    expect(json(run.stdout)).toMatchObject({ status: "failed", attempts: 1 });
    expect(run.stderr).toBe("");
  });

  it("exits 2 when the watched job is cancelled", async () => {
    const submitted = await edgeJobs(["jobs", "submit", "simulate", "--input", "{}", "--delay", "600000", "--json"], env);
    const id = json(submitted.stdout).id as string;
    const watching = edgeJobs(["jobs", "watch", id], env);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await edgeJobs(["jobs", "cancel", id], env)).code).toBe(0);
    expect((await watching).code).toBe(2);
  });

  it("lists jobs as a table and as JSON, filtered", async () => {
    const table = await edgeJobs(["jobs", "list", "--tag", "cli-watch"], env);
    expect(table.stdout).toMatch(/^ID +TYPE +STATUS +PRIORITY +PROGRESS +CREATED\njob_\S+ +simulate +completed/);
    const listed = await edgeJobs(["jobs", "list", "--status", "failed", "--limit", "5", "--json"], env);
    const items = JSON.parse(listed.stdout) as { status: string }[];
    expect(items.length).toBeGreaterThanOrEqual(1);
    expect(items.every((j) => j.status === "failed")).toBe(true);
  });

  it("counts a bulk retry with --dry-run, and runs a bulk cancel to its end", async () => {
    const counted = await edgeJobs(["jobs", "bulk", "retry", "--status", "failed", "--since", "1h", "--dry-run", "--json"], env);
    expect(counted.code).toBe(0);
    expect(json(counted.stdout)).toEqual({ action: "retry", matched: 1 });
    for (let n = 0; n < 2; n++) await edgeJobs(["jobs", "submit", "simulate", "--delay", "600000", "--tag", "cli-bulk"], env);
    const bulk = await edgeJobs(["jobs", "bulk", "cancel", "--tag", "cli-bulk", "--json"], env);
    expect(bulk.code).toBe(0);
    expect(json(bulk.stdout)).toMatchObject({ type: "jobs.bulk", status: "completed", result: { action: "cancel", matched: 2, changed: 2 } });
  });

  it("uploads a file of more than 5 MiB in parts, showing progress", async () => {
    const file = join(scratch, "big.bin");
    writeFileSync(file, Buffer.alloc(6 * 1024 * 1024 + 123, 7));
    const run = await edgeJobs(["upload", file], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/uploaded 5242880 of 6291579 bytes \(83%\)\nuploaded 6291579 of 6291579 bytes \(100%\)/);
    const id = /^uploaded (\S+) \(6291579 bytes\)$/m.exec(run.stdout)?.[1];
    const upload = await new EdgeJobs({ baseUrl: server.url, apiKey: env.EDGE_JOBS_KEY! }).uploads.get(id!);
    expect(upload).toMatchObject({ name: "big.bin", size: 6291579 });
  });

  it("pauses and resumes a lane with the platform's admin key only", async () => {
    const admin = { ...env, EDGE_JOBS_KEY: E2E_ADMIN_KEY };
    expect(json((await edgeJobs(["queues", "pause", "low", "--json"], admin)).stdout)).toEqual({ lane: "low", paused: true });
    const lanes = json((await edgeJobs(["queues", "list", "--json"], admin)).stdout) as { items: { lane: string; paused: boolean }[] };
    expect(lanes.items.find((l) => l.lane === "low")?.paused).toBe(true);
    const resumed = await edgeJobs(["queues", "resume", "low"], admin);
    expect(resumed).toMatchObject({ code: 0, stdout: "lane low resumed\n" });
    const refused = await edgeJobs(["queues", "pause", "low", "--json"], env);
    expect(refused.code).toBe(3);
    expect(json(refused.stderr)).toMatchObject({ error: { status: 403, code: "forbidden" } });
  });

  it("reports a bad key with the API's message and request id", async () => {
    const bad = { ...env, EDGE_JOBS_KEY: "not-a-key" };
    const text = await edgeJobs(["jobs", "get", "job_nope"], bad);
    expect(text.code).toBe(3);
    expect(text.stdout).toBe("");
    expect(text.stderr).toMatch(/^edge-jobs: .+ \(HTTP 401, \w+, request \S+\)\n$/);
    const machine = await edgeJobs(["jobs", "get", "job_nope", "--json"], bad);
    const { error } = json(machine.stderr) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ status: 401, code: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
  });

  it("reports bad usage as JSON with --json", async () => {
    const run = await edgeJobs(["jobs", "submit", "simulate", "--input", "{nope", "--json"], env);
    expect(run.code).toBe(3);
    expect(json(run.stderr)).toMatchObject({ error: { code: "usage", message: expect.stringMatching(/--input is not valid JSON/) } });
  });
});
