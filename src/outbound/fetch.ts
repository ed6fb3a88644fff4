import { readAtMost } from "../bytes";
import { OutboundRefusedError, checkDestination } from "./guard";
import { type OutboundEnv, outboundPolicy } from "./policy";

/**
 * The one way to fetch a URL that came from a tenant (`http.request` today; remote handlers and
 * webhooks later): every hop is checked by `checkDestination` before it is sent.
 */

export const MAX_REDIRECTS = 5;
/** The most of a response body anything stores. */
export const MAX_STORED_BODY_BYTES = 1_048_576;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Credentials meant for one origin; a hop to another origin goes without them. */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];
/** The fetch standard's request-body-header names, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/** Response headers never stored: they hand the target's session to whoever reads the result. */
const UNSTORED_RESPONSE_HEADERS = new Set(["set-cookie", "set-cookie2"]);

export interface OutboundInit {
  method: string;
  headers?: HeadersInit;
  body?: string;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  /** The final response (not a redirect), its body unread. */
  response: Response;
  /** The URL that answered it, after redirects. */
  url: string;
  redirects: number;
}

/** As the fetch standard has it: 303 (but to HEAD), and 301/302 to a POST, go on as a GET without a body. */
function becomesGet(status: number, method: string): boolean {
  return (status === 303 && method !== "GET" && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST");
}

function redirectTarget(from: URL, location: string): URL {
  try {
    return new URL(location, from);
  } catch {
    throw new OutboundRefusedError(`${from.href} redirects to a location that is not a URL: ${JSON.stringify(location.slice(0, 200))}`);
  }
}

/**
 * Fetches a tenant's URL, following at most `MAX_REDIRECTS` redirects itself and checking each
 * hop. Throws `OutboundRefusedError` (non-retryable) for a refused destination or too many
 * redirects; network errors are thrown as fetch throws them.
 */
export async function guardedFetch(env: OutboundEnv, target: string, init: OutboundInit): Promise<OutboundResponse> {
  const policy = outboundPolicy(env);
  const headers = new Headers(init.headers);
  let { method, body } = init;
  let url = new URL(target);
  for (let redirects = 0; ; redirects++) {
    await checkDestination(policy, url, init.signal);
    // The URL as the checker read it (href), so fetch cannot parse a different host out of it.
    const response = await fetch(url.href, { method, headers, body, signal: init.signal, redirect: "manual" });
    const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get("location") : null;
    if (location === null) return { response, url: url.href, redirects };
    await response.body?.cancel();
    const next = redirectTarget(url, location);
    if (redirects === MAX_REDIRECTS) throw new OutboundRefusedError(`more than ${MAX_REDIRECTS} redirects (the next to ${next.href})`);
    if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    if (becomesGet(response.status, method)) {
      method = "GET";
      body = undefined;
      for (const name of BODY_HEADERS) headers.delete(name);
    }
    url = next;
  }
}

/** At most `limit` bytes of a body (never more than `MAX_STORED_BODY_BYTES`) as text; the rest is not read. */
export async function readCappedText(response: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: "", truncated: false };
  const { bytes, overflowed } = await readAtMost(response.body, Math.min(limit, MAX_STORED_BODY_BYTES));
  return { text: new TextDecoder().decode(bytes), truncated: overflowed };
}

/** A response's headers as they may be stored: without the cookies it sets. */
export function storableHeaders(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => !UNSTORED_RESPONSE_HEADERS.has(name.toLowerCase())));
}
