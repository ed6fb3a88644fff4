// Checks answers the platform gave the tests against its own OpenAPI document: the operation
// (path template and method), a documented status, its media type, its required headers, and a
// JSON body against the response's schema (JSON Schema 2020-12, as OpenAPI 3.1 writes it).
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** What a test received: enough to check, recorded before the test reads the body. */
export interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  /** The body as text, for JSON answers only. */
  text?: string;
}

type Header = { required?: boolean; schema?: { type?: string }; $ref?: string };
type DocResponse = { $ref?: string; headers?: Record<string, Header>; content?: Record<string, { schema?: unknown }> };
type Operation = { responses: Record<string, DocResponse> };
type Document = { paths: Record<string, Record<string, Operation>>; components?: { responses?: Record<string, DocResponse>; headers?: Record<string, Header> } };

const DOCUMENT_PATH = "/api/v1/openapi.json";
const DOCUMENTED = /^\/(api\/v1|metrics)(\/|$)/;
const escapePointer = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");
const essence = (type: string) => type.split(";")[0]!.trim().toLowerCase();
const params = (type: string) => type.split(";").slice(1).map((p) => p.trim().toLowerCase()).filter(Boolean);
const isJson = (type: string) => /^application\/([\w.+-]+\+)?json$/.test(essence(type));

function mediaTypeMatches(documented: string, actual: string): boolean {
  const [want, got] = [essence(documented), essence(actual)];
  const [wantType, wantSub] = want.split("/");
  const typeMatches = want === "*/*" || want === got || (wantSub === "*" && got.startsWith(`${wantType}/`));
  return typeMatches && params(documented).every((p) => params(actual).includes(p));
}

/** One document and the validators compiled from it, for one dev server. */
export class Conformance {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  private readonly templates: { pattern: RegExp; literals: number; item: Record<string, Operation>; template: string }[];

  private readonly document: Document;

  constructor(document: Document) {
    this.document = document;
    addFormats(this.ajv);
    this.ajv.addFormat("binary", true);
    // OpenAPI's annotations in schemas, and the document's own fields: the whole document is added
    // as one resource so that `#/components/schemas/...` resolves inside it.
    this.ajv.addVocabulary(["example", "discriminator", ...Object.keys(document)]);
    this.ajv.addSchema(document as object, "openapi", undefined, false);
    this.templates = Object.entries(document.paths).map(([template, item]) => ({
      template,
      item,
      pattern: new RegExp(`^${template.replace(/\{[^/]+\}/g, "[^/]+")}$`),
      literals: template.split("/").filter((s) => s && !s.startsWith("{")).length,
    }));
  }

  static async load(origin: string, fetcher: typeof fetch): Promise<Conformance> {
    const res = await fetcher(`${origin}${DOCUMENT_PATH}`);
    if (res.status !== 200) throw new Error(`GET ${DOCUMENT_PATH} answered ${res.status}`);
    return new Conformance((await res.json()) as Document);
  }

  /** The problems with one answer; none for requests outside the documented API. */
  check(exchange: Exchange): string[] {
    const { pathname } = new URL(exchange.url);
    if (!DOCUMENTED.test(pathname) || pathname === DOCUMENT_PATH) return [];
    const method = exchange.method.toLowerCase() === "head" ? "get" : exchange.method.toLowerCase();
    const where = `${exchange.method} ${pathname} → ${exchange.status}`;
    const found = this.templates
      .filter((t) => t.pattern.test(pathname) && t.item[method])
      .sort((a, b) => b.literals - a.literals)[0];
    // Hono's not-found answer belongs to no operation: it is checked as the error envelope it is.
    if (!found) return exchange.status === 404 ? this.checkBody(where, exchange, "openapi#/components/schemas/Error") : [`${where}: no operation documents ${method.toUpperCase()} ${pathname}`];
    const at = `${found.template} ${method}`;
    const response = this.resolve(found.item[method]!.responses[String(exchange.status)]);
    if (!response) return [`${where}: status ${exchange.status} is not documented for ${at}`];
    return [...this.checkHeaders(where, response, exchange), ...this.checkContent(where, response, exchange, found.template, method)];
  }

  private resolve<T extends { $ref?: string }>(value: T | undefined): T | undefined {
    if (!value?.$ref) return value;
    const [, kind, name] = value.$ref.match(/^#\/components\/(responses|headers)\/(.+)$/) ?? [];
    return (this.document.components?.[kind as "responses" | "headers"]?.[name!] as T | undefined) ?? undefined;
  }

  private checkHeaders(where: string, response: DocResponse, exchange: Exchange): string[] {
    return Object.entries(response.headers ?? {}).flatMap(([name, declared]) => {
      const header = this.resolve(declared);
      const value = exchange.headers[name.toLowerCase()];
      if (value === undefined) return header?.required ? [`${where}: the required header ${name} is missing`] : [];
      if (header?.schema?.type === "integer" && !/^-?\d+$/.test(value)) return [`${where}: header ${name} is "${value}", not an integer`];
      return [];
    });
  }

  private checkContent(where: string, response: DocResponse, exchange: Exchange, template: string, method: string): string[] {
    const actual = exchange.headers["content-type"];
    const documented = Object.keys(response.content ?? {});
    if (documented.length === 0) return actual ? [`${where}: answered ${actual}, but the response documents no content`] : [];
    if (!actual) return [`${where}: no Content-Type; documented: ${documented.join(", ")}`];
    const mediaType = documented.find((type) => mediaTypeMatches(type, actual));
    if (!mediaType) return [`${where}: answered ${actual}; documented: ${documented.join(", ")}`];
    if (!isJson(actual)) return [];
    const pointer = ["paths", template, method, "responses", String(exchange.status), "content", mediaType, "schema"].map(escapePointer).join("/");
    const status = String(exchange.status);
    const ref = this.document.paths[template]![method]!.responses[status]!.$ref;
    // A shared response (`$ref`) keeps its schema under components.
    const target = ref ? `openapi#${ref.slice(1)}/content/${escapePointer(mediaType)}/schema` : `openapi#/${pointer}`;
    return this.checkBody(where, exchange, target);
  }

  private checkBody(where: string, exchange: Exchange, schemaRef: string): string[] {
    let body: unknown;
    try {
      body = JSON.parse(exchange.text ?? "");
    } catch {
      return [`${where}: the body is not JSON: ${(exchange.text ?? "").slice(0, 200)}`];
    }
    const validate = this.ajv.getSchema(schemaRef);
    if (!validate) return [`${where}: no schema at ${schemaRef}`];
    if (validate(body)) return [];
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params).slice(0, 120)}`);
    return [`${where}: the body does not match its schema: ${errors.slice(0, 8).join("; ")}; body: ${(exchange.text ?? "").slice(0, 300)}`];
  }
}

/** The dev servers' documents, each fetched once, and what did not match, for the whole test file. */
const documents = new Map<string, Promise<Conformance>>();
const mismatches: string[] = [];
let checked = 0;
/** The fetch the documents are read with: the one before `installConformanceCheck` wrapped it. */
let unchecked: typeof fetch = globalThis.fetch;

/** Checks an answer from one of `origins`; answers from anywhere else (the tests' own servers) are not the platform's. */
export async function checkExchange(exchange: Exchange, origins: ReadonlySet<string>): Promise<void> {
  const { origin } = new URL(exchange.url);
  if (!origins.has(origin)) return;
  if (!documents.has(origin)) documents.set(origin, Conformance.load(origin, unchecked));
  mismatches.push(...(await documents.get(origin)!).check(exchange));
  checked += 1;
}

/** How many of the platform's answers were checked, and the problems found with them. */
export const conformanceReport = () => ({ checked, mismatches: mismatches as readonly string[] });

/** What a fetch asked for and got, with the text of a JSON body read from a clone. */
async function exchangeOf(input: RequestInfo | URL, init: RequestInit | undefined, response: Response): Promise<Exchange> {
  const method = init?.method ?? (input instanceof Request ? input.method : "GET");
  const url = response.url || (input instanceof Request ? input.url : String(input));
  const headers = Object.fromEntries(response.headers);
  const text = /json/i.test(headers["content-type"] ?? "") ? await response.clone().text() : undefined;
  return { method: method.toUpperCase(), url, status: response.status, headers, text };
}

/** Wraps the global fetch so every answer from `origins` is checked before the test sees it; returns the undo. */
export function installConformanceCheck(origins: ReadonlySet<string>): () => void {
  const original = globalThis.fetch;
  unchecked = original;
  globalThis.fetch = async function checkedFetch(input, init) {
    const response = await original(input, init);
    await checkExchange(await exchangeOf(input, init, response), origins);
    return response;
  };
  return () => {
    globalThis.fetch = original;
  };
}
