// The job types in the OpenAPI document: each built-in type's input and result schema, from its
// definition, on the submissions and the job views (src/api/job-types.ts). The server's own
// validation of a submission is unchanged (validation.test.ts); test/client/openapi-types.test.ts
// checks the types a generated client gets from this.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { jobDefinitions } from "../../src/jobs/index";

type Schema = Record<string, any>;
let schemas: Record<string, Schema>;

beforeAll(async () => {
  const res = await exports.default.fetch("https://jobs.test/api/v1/openapi.json");
  expect(res.status).toBe(200);
  schemas = ((await res.json()) as { components: { schemas: Record<string, Schema> } }).components.schemas;
});

const BUILT_IN = jobDefinitions.map((d) => d.type);
const target = (ref: { $ref: string }) => schemas[ref.$ref.replace("#/components/schemas/", "")]!;
const branches = (name: string) => (schemas[name]!.allOf.at(-1).anyOf as { $ref: string }[]).map(target);

describe("OpenAPI document: job types", () => {
  it("makes a submission one of a branch per built-in type, with its input, or a handler's type", () => {
    const submit = branches("SubmitJob");
    expect(submit.slice(0, -1).map((b) => b.properties.type.enum)).toEqual(BUILT_IN.map((type) => [type]));
    const handler = submit.at(-1)!;
    expect(handler.properties.type.not).toEqual({ enum: BUILT_IN });
    expect(handler.properties.type.pattern).toBeDefined();
    expect(handler.properties.input).toMatchObject({ type: "object" });

    const simulate = submit[0]!;
    expect(target(simulate.properties.input).properties.steps).toMatchObject({ type: "integer", minimum: 1 });
    expect(simulate.required).toEqual(["type"]);
    // An http.request needs its url: its input is required, where simulate's has defaults for all.
    expect(submit[1]!.required).toEqual(["type", "input"]);
    expect(target(submit[1]!.properties.input).required).toContain("url");
  });

  it("types a batch's jobs and a schedule's job as a submission", () => {
    expect(schemas.SubmitBatch!.properties.jobs.items).toEqual({ $ref: "#/components/schemas/SubmitJob" });
    expect(schemas.ScheduleJob!.allOf).toEqual(schemas.SubmitJob!.allOf);
  });

  it("documents each built-in type's result on the job views, from its definition", () => {
    const views = branches("Job");
    expect(views.map((v) => v.properties.type.enum ?? v.properties.type.not)).toEqual([...BUILT_IN.map((type) => [type]), { enum: BUILT_IN }]);
    for (const [i, definition] of jobDefinitions.entries()) {
      expect(definition.result, definition.type).toBeDefined();
      const [result, none] = views[i]!.properties.result.anyOf;
      expect(none).toEqual({ type: "null" });
      expect(Object.keys(target(result).properties).length, definition.type).toBeGreaterThan(0);
    }
    expect(target(views[0]!.properties.result.anyOf[0])).toMatchObject({ required: ["steps", "attempt"] });
  });
});
