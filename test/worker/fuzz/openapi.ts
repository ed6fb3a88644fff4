import { exports } from "cloudflare:workers";

/** The parts of a JSON Schema (as @hono/zod-openapi emits it) the fuzzer reads. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  example?: unknown;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
}

/** One operation of the document: what the fuzzer builds requests for. */
export interface Operation {
  method: string;
  /** The template as the document spells it, e.g. `/api/v1/jobs/{id}`. */
  path: string;
  parameters: Parameter[];
  /** Content type → schema of the request body; empty when the operation takes none. */
  bodies: Record<string, Schema>;
  bodyRequired: boolean;
}

interface Document {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> } }>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

/** Reads the worker's own OpenAPI document through its real entry point. */
export async function loadDocument(): Promise<{ operations: Operation[]; resolve: (schema: Schema) => Schema }> {
  const res = await exports.default.fetch("https://jobs.test/api/v1/openapi.json");
  if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}: ${await res.text()}`);
  const doc = (await res.json()) as Document;
  const components = doc.components?.schemas ?? {};
  const resolve = (schema: Schema): Schema => {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = components[name];
    if (!target) throw new Error(`the document refers to a missing schema ${schema.$ref}`);
    return resolve(target);
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const bodies: Record<string, Schema> = {};
      for (const [type, content] of Object.entries(op.requestBody?.content ?? {})) bodies[type] = content.schema ?? {};
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        bodies,
        bodyRequired: op.requestBody?.required ?? false,
      });
    }
  }
  return { operations, resolve };
}
