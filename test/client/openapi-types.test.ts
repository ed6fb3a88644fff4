// A client generated from the OpenAPI document: openapi-typescript (scripts/openapi-types/) writes
// the types of the document a dev server serves, tsc checks a whole openapi-fetch flow against them
// (openapi-flow/flow.ts, whose @ts-expect-error lines are what the document must refuse), and the
// flow then runs against that server, so the types are held to what it answers.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgeJobs } from "edge-jobs/client";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "../e2e/dev-server";

const FLOW = join(import.meta.dirname, "openapi-flow");
const GENERATED = join(FLOW, "generated");
const ROOT = join(import.meta.dirname, "../..");
const GENERATOR = join(ROOT, "scripts/openapi-types/generate.mjs");

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer();
  const document = await (await fetch(`${server.url}/api/v1/openapi.json`)).text();
  mkdirSync(GENERATED, { recursive: true });
  writeFileSync(join(GENERATED, "openapi.json"), document);
  execFileSync(process.execPath, [GENERATOR, join(GENERATED, "openapi.json"), join(GENERATED, "api.d.ts")], { stdio: "pipe" });
});
afterAll(async () => server?.stop());

/** tsc's diagnostics for the flow, one per line; empty when it type-checks. */
function typeErrors(config = join(FLOW, "tsconfig.json")): string[] {
  try {
    execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", config], { stdio: "pipe", encoding: "utf8" });
    return [];
  } catch (error) {
    return String((error as { stdout?: string }).stdout).split("\n").filter((line) => line.includes("error TS"));
  }
}

/** openapi-flow/flow.ts, imported once its types exist (this file's own type-check cannot see it). */
type Flow = { flow(baseUrl: string, apiKey: string, tag: string): Promise<unknown> };

describe("a client generated with openapi-typescript and openapi-fetch", () => {
  it("type-checks the whole flow with no cast, and refuses each wrong call the flow marks", () => {
    expect(typeErrors()).toEqual([]);
  });

  it("fails once the document stops typing job inputs and results by type", () => {
    const untyped = JSON.parse(readFileSync(join(GENERATED, "openapi.json"), "utf8"));
    for (const name of ["SubmitJob", "ScheduleJob", "Job"]) delete untyped.components.schemas[name].allOf;
    const mutant = join(GENERATED, "untyped");
    mkdirSync(join(mutant, "generated"), { recursive: true });
    writeFileSync(join(mutant, "openapi.json"), JSON.stringify(untyped));
    execFileSync(process.execPath, [GENERATOR, join(mutant, "openapi.json"), join(mutant, "generated", "api.d.ts")], { stdio: "pipe" });
    copyFileSync(join(FLOW, "flow.ts"), join(mutant, "flow.ts"));
    writeFileSync(join(mutant, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", include: ["flow.ts"] }));
    const errors = typeErrors(join(mutant, "tsconfig.json"));
    expect(errors.filter((e) => e.includes("TS2578")).length, errors.join("\n")).toBeGreaterThanOrEqual(4);
    expect(errors.join("\n")).toContain("'job.input' is of type 'unknown'");
  });

  it("runs the flow against the server", async () => {
    const admin = new EdgeJobs({ baseUrl: server.url, apiKey: E2E_ADMIN_KEY });
    const tenant = `flow-${Date.now().toString(36)}`;
    const { key } = await admin.keys.create({ name: "openapi-flow", tenant, scopes: ["jobs:read", "jobs:write", "reports:read", "reports:write"] });
    const { flow } = (await import(join(FLOW, "flow.ts"))) as Flow;
    const tag = `flow-${Date.now()}`;
    const outcome = await flow(server.url, key, tag);
    expect(outcome).toEqual({
      steps: 3,
      listed: [expect.stringMatching(/^job_/)],
      statuses: ["cancelled", "queued"],
      scheduleType: "http.request",
      reportText: "# Flow\n",
      missingCode: "not_found",
      handlerCode: "invalid_job",
    });
  });
});
