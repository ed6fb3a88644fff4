// The one module that talks to /api/v1. The session cookie authenticates every call (HttpOnly: this
// code never sees it); the CSRF token from the session body is kept in memory only and sent on every
// request that changes something.
import type {
  Attempt,
  BatchItem,
  BulkRequest,
  DeadLetter,
  History,
  HistoryWindow,
  Job,
  JobLog,
  Lanes,
  Page,
  Session,
  Stats,
} from "./types";

const BASE = "/api/v1";

/** An error answered by the API, in its envelope `{error:{code,message,requestId,details?}}`. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
const unauthorizedListeners = new Set<(error: ApiError) => void>();

/** Called when a request answers 401 (the session expired or its key was revoked). */
export function onUnauthorized(listener: (error: ApiError) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type Query = Record<string, string | number | boolean | undefined | null>;

function urlOf(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const search = params.toString();
  return `${BASE}${path}${search ? `?${search}` : ""}`;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text) as { error?: { code?: string; message?: string; requestId?: string; details?: unknown } };
    if (error?.message) return new ApiError(res.status, error.code ?? "error", error.message, error.requestId, error.details);
  } catch {
    // Not the API's envelope (a proxy's page, say): described by its status below.
  }
  return new ApiError(res.status, "http_error", `the server answered ${res.status} ${res.statusText}`.trim());
}

export interface RequestOptions {
  query?: Query;
  /** A JSON body. */
  body?: unknown;
  /** A body sent as it is (an upload), with its own content type. */
  file?: Blob;
  /** Session calls handle their own 401: it means "signed out", not "signed out since". */
  quiet401?: boolean;
}

/**
 * Any call of the API, answered as the raw response once it is known to be a success: with the
 * session cookie, the CSRF token on everything but GET and HEAD, and failures thrown as ApiError.
 * For answers that are not JSON (report contents, exports); JSON calls use `apiRequest`.
 */
export async function apiFetch(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  let res = await fetchOnce(method, path, options);
  if (res.status === 403 && csrfToken !== undefined && (await errorOf(res.clone())).code === "csrf_failed") {
    // Signed in again (in another tab, say) since the token was read: read the new session's, once.
    await sessions.current();
    res = await fetchOnce(method, path, options);
  }
  if (!res.ok) {
    const error = await errorOf(res);
    if (res.status === 401 && !options.quiet401) for (const listener of unauthorizedListeners) listener(error);
    throw error;
  }
  return res;
}

async function fetchOnce(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  } else if (options.file) {
    headers["content-type"] = options.file.type || "application/octet-stream";
    body = options.file;
  }
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["x-csrf-token"] = csrfToken;
  try {
    return await fetch(urlOf(path, options.query), { method, headers, credentials: "same-origin", body });
  } catch (cause) {
    throw new ApiError(0, "network_error", `the server could not be reached (${(cause as Error).message})`);
  }
}

/** Any JSON call of the API (undefined for 204); the calls below are the ones the core pages make. */
export async function apiRequest<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await apiFetch(method, path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const request = apiRequest;

function remember(session: Session): Session {
  csrfToken = session.csrfToken;
  return session;
}

export const sessions = {
  current: async () => remember(await request<Session>("GET", "/session", { quiet401: true })),
  signIn: async (apiKey: string) => remember(await request<Session>("POST", "/session", { body: { apiKey }, quiet401: true })),
  signOut: async () => {
    await request<void>("DELETE", "/session", { quiet401: true });
    csrfToken = undefined;
  },
  switchTenant: async (tenant: string) => remember(await request<Session>("PUT", "/session/tenant", { body: { tenant } })),
  tenants: () => request<{ items: { tenant: string }[] }>("GET", "/tenants"),
};

const id = (value: string) => encodeURIComponent(value);

export const jobs = {
  list: (query: Query) => request<Page<Job>>("GET", "/jobs", { query }),
  get: (jobId: string) => request<Job>("GET", `/jobs/${id(jobId)}`),
  attempts: (jobId: string) => request<{ items: Attempt[] }>("GET", `/jobs/${id(jobId)}/attempts`),
  logs: (jobId: string) => request<{ items: JobLog[] }>("GET", `/jobs/${id(jobId)}/logs`),
  items: (jobId: string, query: Query) => request<Page<BatchItem>>("GET", `/jobs/${id(jobId)}/items`, { query }),
  cancel: (jobId: string) => request<Job>("POST", `/jobs/${id(jobId)}/cancel`),
  retry: (jobId: string) => request<Job>("POST", `/jobs/${id(jobId)}/retry`),
  submit: (body: Record<string, unknown>) => request<Job>("POST", "/jobs", { body }),
  countBulk: (body: BulkRequest) => request<{ action: string; matched: number }>("POST", "/jobs/bulk", { body, query: { dryRun: true } }),
  bulk: (body: BulkRequest) => request<Job>("POST", "/jobs/bulk", { body }),
};

export const deadLetters = {
  list: (query: Query) => request<Page<DeadLetter>>("GET", "/dead-letters", { query }),
  replay: (jobId: string) => request<Job>("POST", `/dead-letters/${id(jobId)}/replay`),
  remove: (jobId: string) => request<void>("DELETE", `/dead-letters/${id(jobId)}`),
  purge: () => request<{ purged: number }>("DELETE", "/dead-letters"),
};

export const queues = {
  list: () => request<Lanes>("GET", "/queues"),
  pause: (lane: string) => request<{ lane: string; paused: boolean }>("POST", `/queues/${id(lane)}/pause`),
  resume: (lane: string) => request<{ lane: string; paused: boolean }>("POST", `/queues/${id(lane)}/resume`),
};

export const stats = {
  get: () => request<Stats>("GET", "/stats"),
  history: (window: HistoryWindow) => request<History>("GET", "/stats/history", { query: { window } }),
};

/** Any GET of the API, for pages that only list a resource so far. */
export function getResource<T = unknown>(path: string, query?: Query): Promise<T> {
  return apiRequest<T>("GET", path, { query });
}

/** The websocket URL of an API path on this host (the session cookie authenticates the upgrade). */
export function socketUrl(path: string, query?: Query): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${urlOf(path, query)}`;
}
