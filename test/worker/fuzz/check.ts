import { exports } from "cloudflare:workers";
import { describeRequest, type FuzzRequest } from "./requests";

const ORIGIN = "https://jobs.test";

/** The body in three chunks or so, so the worker cannot know its length up front. */
function chunked(body: string | Uint8Array): ReadableStream<Uint8Array> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const size = Math.max(1, Math.ceil(bytes.length / 3));
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

/** Why a response breaks the contract, or undefined when it keeps it. */
function envelopeProblem(status: number, contentType: string, text: string): string | undefined {
  if (status >= 500) return `status ${status}`;
  if (status < 400) return undefined;
  if (!contentType.includes("application/json")) return `error with content-type ${JSON.stringify(contentType)}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return "error body is not JSON";
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error !== "object" || error === null) return "error body has no `error` object";
  if (typeof error.code !== "string" || error.code.length === 0) return "error.code is not a non-empty string";
  if (typeof error.message !== "string") return "error.message is not a string";
  return undefined;
}

/**
 * Sends one request through the worker's real fetch entry point and throws, naming the request
 * and the response, when it answers 5xx or an error outside the `{error:{code,message}}` envelope.
 */
export async function sendAndCheck(request: FuzzRequest): Promise<number> {
  const res = await exports.default.fetch(`${ORIGIN}${request.url}`, {
    method: request.method,
    headers: request.headers,
    body: request.streamed && request.body !== undefined ? chunked(request.body) : request.body,
  });
  if (res.status < 400) {
    // Success bodies are read as a client would (not checked); an event stream never ends, so it is closed.
    if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) await res.body?.cancel();
    else await res.arrayBuffer();
    return res.status;
  }
  const text = await res.text();
  const problem = envelopeProblem(res.status, res.headers.get("content-type") ?? "", text);
  if (problem) {
    throw new Error(`${problem}\nrequest: ${describeRequest(request)}\nresponse: ${res.status} ${res.headers.get("content-type")} ${text.slice(0, 500)}`);
  }
  return res.status;
}
