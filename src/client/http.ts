import { EdgeJobsError, errorFromResponse } from "./errors";

export interface RetryOptions {
  /** Tries in all, the first included (default 4). 1 turns retrying off. */
  attempts?: number;
  /** The first backoff (default 250 ms), doubled each time, with full jitter, up to `maxMs`. */
  baseMs?: number;
  /** The longest wait between tries, Retry-After included (default 30 s). */
  maxMs?: number;
}

export interface ClientOptions {
  /** The server, e.g. `https://jobs.example.com` (with or without `/api/v1`). */
  baseUrl: string;
  apiKey: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  retry?: RetryOptions;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  /** A JSON body (serialized here) … */
  json?: unknown;
  /** … or a raw one, sent as is. It must be replayable (not a stream) to be retried. */
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const RETRYABLE = (status: number) => status === 429 || status >= 500;

/** Retry-After: seconds, or an HTTP date. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The one way the client talks to the API: the bearer key, error envelopes and bounded retries. */
export class Http {
  readonly base: string;
  private readonly fetcher: typeof fetch;
  private readonly retry: Required<RetryOptions>;

  constructor(private readonly options: ClientOptions) {
    const trimmed = options.baseUrl.replace(/\/+$/, "");
    this.base = trimmed.endsWith("/api/v1") ? trimmed : `${trimmed}/api/v1`;
    // Bound to the global object: some runtimes refuse a fetch called as a method of another object.
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    this.retry = { attempts: 4, baseMs: 250, maxMs: 30_000, ...options.retry };
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.base}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** The response of a request that succeeded (2xx or 304), after retrying 429 and 5xx. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}`, ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    const url = this.url(path, options.query);
    for (let attempt = 1; ; attempt++) {
      const response = await this.fetcher(url, { method, headers, body, signal: options.signal }).catch((cause: unknown) => {
        if (options.signal?.aborted) throw cause;
        return cause instanceof Error ? cause : new Error(String(cause));
      });
      const last = attempt >= this.retry.attempts || body instanceof ReadableStream;
      if (response instanceof Error) {
        if (last) throw new EdgeJobsError(0, "network_error", response.message, { cause: response.message });
      } else if (response.ok || response.status === 304) {
        return response;
      } else if (last || !RETRYABLE(response.status)) {
        throw await errorFromResponse(response);
      }
      const backoff = Math.random() * Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempt - 1));
      const told = response instanceof Error ? undefined : retryAfterMs(response.headers.get("retry-after"));
      if (!(response instanceof Error)) await response.body?.cancel();
      await sleep(Math.min(this.retry.maxMs, told ?? backoff), options.signal);
    }
  }

  async json<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async text(path: string, options?: RequestOptions): Promise<string> {
    return (await this.send("GET", path, options)).text();
  }
}

/** Every item of a paged list, page after page, following `nextCursor`. */
export async function* paginate<T>(http: Http, path: string, query: Query = {}): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await http.json<{ items: T[]; nextCursor: string | null }>("GET", path, { query: { ...query, cursor } });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export const segment = (value: string | number) => encodeURIComponent(String(value));
