import { MAX_DATA_FILE_BYTES } from "../uploads/parse";
import { MAX_SIMPLE_UPLOAD_BYTES } from "../uploads/store";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export const API_BASE = "/api/v1";

/**
 * How a route reads its body: `json` bodies are parsed whole, so one sent without a length is
 * buffered (never past its limit) before the route sees it; `stream` bodies (files, archives) are
 * counted as they flow into the route and never buffered.
 */
export type BodyKind = "json" | "stream";

export interface BodyLimit {
  maxBytes: number;
  kind: BodyKind;
}

type Method = "post" | "put" | "patch";

/**
 * The largest body each route takes, by method and path under /api/v1 as the OpenAPI document
 * writes it. The limits sit above what the route's schema accepts (content sent as base64 or
 * JSON-escaped takes more bytes than it decodes to), so only bodies no schema could accept are
 * refused here, before a byte of them is parsed.
 */
const LIMITS: Record<`${Method} ${string}`, BodyLimit> = {
  "post /jobs": { maxBytes: MiB, kind: "json" },
  "post /jobs/batch": { maxBytes: 10 * MiB, kind: "json" },
  "post /schedules": { maxBytes: MiB, kind: "json" },
  "post /schedules/preview": { maxBytes: 64 * KiB, kind: "json" },
  "patch /schedules/{id}": { maxBytes: MiB, kind: "json" },
  "post /refresh/{resource}": { maxBytes: MiB, kind: "json" },
  // A template body is at most 256 Ki characters: up to 6 bytes each once JSON-escaped.
  "post /templates": { maxBytes: 2 * MiB, kind: "json" },
  "patch /templates/{id}": { maxBytes: 2 * MiB, kind: "json" },
  // Inline preview data is bounded like the data files a report is generated from.
  "post /templates/{id}/preview": { maxBytes: MAX_DATA_FILE_BYTES, kind: "json" },
  "post /templates/preview": { maxBytes: MAX_DATA_FILE_BYTES, kind: "json" },
  // 10 MiB of content, which base64 makes 13.3 MiB.
  "post /reports": { maxBytes: 16 * MiB, kind: "json" },
  "post /reports/import": { maxBytes: MAX_SIMPLE_UPLOAD_BYTES, kind: "stream" },
  // A preview image of 1 MiB is 1.33 MiB in base64, beside the listing's metadata.
  "post /marketplace/templates": { maxBytes: 2 * MiB, kind: "json" },
  "patch /marketplace/templates/{id}": { maxBytes: 2 * MiB, kind: "json" },
  "post /marketplace/templates/{id}/reviews": { maxBytes: 64 * KiB, kind: "json" },
  "post /marketplace/templates/{id}/download": { maxBytes: 64 * KiB, kind: "json" },
  "post /uploads": { maxBytes: MAX_SIMPLE_UPLOAD_BYTES, kind: "stream" },
  // R2's largest part.
  "put /uploads/{id}/parts/{n}": { maxBytes: 5 * GiB, kind: "stream" },
  "post /uploads/multipart": { maxBytes: 64 * KiB, kind: "json" },
  "post /uploads/{id}/complete": { maxBytes: MiB, kind: "json" },
  "post /documents": { maxBytes: 64 * KiB, kind: "json" },
  "post /documents/batch": { maxBytes: MiB, kind: "json" },
  "post /documents/batch-delete": { maxBytes: 64 * KiB, kind: "json" },
  "post /keys": { maxBytes: 64 * KiB, kind: "json" },
  "put /rate-limits/{action}": { maxBytes: 64 * KiB, kind: "json" },
  "put /settings": { maxBytes: 64 * KiB, kind: "json" },
  "put /secrets/{name}": { maxBytes: 64 * KiB, kind: "json" },
  // An input schema is at most 64 KiB as JSON.
  "post /handlers": { maxBytes: 256 * KiB, kind: "json" },
  "patch /handlers/{type}": { maxBytes: 256 * KiB, kind: "json" },
  "post /callbacks/{tenant}/{jobId}/{token}/progress": { maxBytes: 256 * KiB, kind: "json" },
  // A result is at most 1.5 MiB as JSON.
  "post /callbacks/{tenant}/{jobId}/{token}/complete": { maxBytes: 2 * MiB, kind: "json" },
  "post /callbacks/{tenant}/{jobId}/{token}/fail": { maxBytes: 64 * KiB, kind: "json" },
  "post /webhooks": { maxBytes: 64 * KiB, kind: "json" },
  "patch /webhooks/{id}": { maxBytes: 64 * KiB, kind: "json" },
  // 100 queries of 200 characters, up to 6 bytes each once JSON-escaped.
  "post /search/cluster": { maxBytes: 128 * KiB, kind: "json" },
};

/** Any other request with a body: routes that take none ignore it, and new routes are bounded from the start. */
export const DEFAULT_BODY_LIMIT: BodyLimit = { maxBytes: MiB, kind: "json" };

const MATCHERS = Object.entries(LIMITS).map(([route, limit]) => {
  const [method, path] = route.split(" ") as [Method, string];
  const pattern = path.replace(/\{[^/]+\}/g, "[^/]+");
  return { method, pattern: new RegExp(`^${API_BASE}${pattern}/?$`), limit };
});

/** The limit for a request, by its method and full path. */
export function bodyLimitFor(method: string, path: string): BodyLimit {
  const lower = method.toLowerCase();
  return MATCHERS.find((m) => m.method === lower && m.pattern.test(path))?.limit ?? DEFAULT_BODY_LIMIT;
}

export function describeBytes(bytes: number): string {
  const [unit, size] = bytes >= GiB ? ["GiB", GiB] : bytes >= MiB ? ["MiB", MiB] : ["KiB", KiB];
  return `${bytes} bytes (${Number((bytes / size).toFixed(2))} ${unit})`;
}

type Operation = { requestBody?: unknown; responses?: Record<string, unknown> };

/**
 * Adds to every operation that takes a body the 413 it answers past its limit, so the document
 * names each limit from the same table the middleware enforces.
 */
export function documentBodyLimits<T extends { paths?: object }>(document: T): T {
  for (const [path, item] of Object.entries(document.paths ?? {}) as [string, object][]) {
    for (const [method, value] of Object.entries(item)) {
      const operation = value as Operation;
      if (typeof operation !== "object" || operation === null || !operation.requestBody) continue;
      const { maxBytes } = bodyLimitFor(method, path);
      operation.responses = {
        ...operation.responses,
        413: {
          description: `The body is larger than ${describeBytes(maxBytes)}; refused before it is read`,
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      };
    }
  }
  return document;
}
