import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { jobDefinitions } from "../jobs/index";
import { nullable } from "../schemas/common";
import { HandlerType } from "../schemas/handler";
import { SECRET_MARKER, SecretName } from "../secrets/references";

// POST /jobs validates a submission's input against its type in prepareJobs (so errors name
// `input.<field>`), and job views carry any type's input and result: the routes' schemas say
// `type: string`. The document says more, from the job definitions' own schemas: `SubmitJob` and
// `Job` are also one of a branch per built-in type, or the branch of the tenants' handler types.

/** `http.request` → `HttpRequest`, the stem of a type's component names. */
const stem = (type: string) => type.split(/[._-]/).map((word) => word[0]!.toUpperCase() + word.slice(1)).join("");

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const STEMS = jobDefinitions.map((definition) => stem(definition.type));

/** A job type of the tenant's own handlers (/api/v1/handlers): any name but a built-in one. */
const HandlerJobType = HandlerType.openapi({
  not: { enum: jobDefinitions.map((d) => d.type) },
  description: "A job type served by one of the tenant's handlers (/api/v1/handlers): any name but a built-in type's.",
});

/** Registers each built-in type's input, result, submission and job view, and the handlers' branch. */
export function registerJobTypes(registry: OpenAPIHono["openAPIRegistry"]) {
  for (const [i, definition] of jobDefinitions.entries()) {
    const name = STEMS[i]!;
    const type = z.literal(definition.type);
    const input = registry.register(`${name}JobInput`, definition.input);
    const result = registry.register(`${name}JobResult`, definition.result ?? z.unknown());
    // Submitting no input submits {}: optional only where {} is a valid input of the type.
    const submitted = definition.input.safeParse({}).success ? input.optional() : input;
    registry.register(`Submit${name}Job`, z.object({ type, input: submitted }));
    registry.register(`${name}Job`, z.object({ type, input, result: nullable(result) }));
  }
  const secret = z.object({ [SECRET_MARKER]: SecretName }).strict();
  registry.register("SecretReference", secret.describe("A secret of the tenant's (PUT /secrets/{name}): its value stands here while the job runs."));
  const input = z.record(z.string(), z.unknown()).describe("Validated by the handler's inputSchema, if it has one.");
  registry.register("SubmitHandlerJob", z.object({ type: HandlerJobType, input: input.optional() }));
  registry.register("HandlerJob", z.object({ type: HandlerJobType, input, result: z.unknown().describe("What the handler answered.") }));
}

type Schemas = Record<string, { allOf?: unknown[] }>;
type SchemaNode = Record<string, unknown>;

/**
 * A secret reference may stand for any string of an input that a URL-like placeholder passes
 * (src/secrets/references.ts validates it so): one with no enum, pattern or format but `uri`.
 */
const takesSecret = (node: SchemaNode) =>
  node.type === "string" && !node.enum && node.const === undefined && !node.pattern && (node.format === undefined || node.format === "uri");

/** `node` with each string it holds that may be a secret reference also allowing one. */
function withSecrets(node: unknown): unknown {
  if (!node || typeof node !== "object" || Array.isArray(node)) return node;
  const { description, default: fallback, ...rest } = node as SchemaNode;
  if (takesSecret(rest)) return { anyOf: [rest, ref("SecretReference")], description, default: fallback };
  const out: SchemaNode = { ...(node as SchemaNode) };
  if (rest.properties) out.properties = Object.fromEntries(Object.entries(rest.properties as SchemaNode).map(([k, v]) => [k, withSecrets(v)]));
  for (const key of ["items", "additionalProperties"]) if (typeof rest[key] === "object") out[key] = withSecrets(rest[key]);
  for (const key of ["anyOf", "oneOf", "allOf", "prefixItems"]) if (Array.isArray(rest[key])) out[key] = (rest[key] as unknown[]).map(withSecrets);
  return out;
}

/** The routes' schemas of a job to submit (a schedule's too) and of a job. */
const SUBMISSIONS = ["SubmitJob", "ScheduleJob"];
const VIEWS = ["Job"];

/**
 * Makes the submissions and job views also one of the branches `registerJobTypes` added. The
 * branches exclude each other, but linters cannot tell that the handlers' `not` does, so it is
 * `anyOf` rather than `oneOf`; and inside `allOf`, as beside `properties` openapi-typescript would
 * read it as "or".
 */
export function documentJobTypes<T extends { components?: { schemas?: object } }>(document: T): T {
  const schemas = (document.components?.schemas ?? {}) as Schemas;
  const add = (name: string, branches: string[]) => {
    const schema = schemas[name];
    if (schema) schema.allOf = [...(schema.allOf ?? []), { anyOf: branches.map(ref) }];
  };
  for (const name of SUBMISSIONS) add(name, [...STEMS.map((stem) => `Submit${stem}Job`), "SubmitHandlerJob"]);
  for (const name of VIEWS) add(name, [...STEMS.map((stem) => `${stem}Job`), "HandlerJob"]);
  for (const name of STEMS.map((stem) => `${stem}JobInput`)) if (schemas[name]) schemas[name] = withSecrets(schemas[name]) as Schemas[string];
  return document;
}
