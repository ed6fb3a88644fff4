import { createMiddleware } from "hono/factory";
import { readAtMost } from "../../bytes";
import { type BodyLimit, describeBytes } from "../body-limits";
import type { AppEnv } from "../context";
import { ApiError, renderError } from "../errors";

export interface BodyLimitOptions {
  /** The limit of a request, by its method and path. */
  limitFor: (method: string, path: string) => BodyLimit;
}

const tooLarge = (limit: BodyLimit) =>
  new ApiError(413, "payload_too_large", `the request body is larger than ${describeBytes(limit.maxBytes)}, this route's limit`);

/** The length the client declared; the runtime ends a body there, so it is the most it can send. */
function declaredLength(headers: Headers): number | undefined {
  const header = headers.get("content-length");
  if (header === null || headers.has("transfer-encoding")) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/**
 * Refuses a body past the route's limit before the route reads any of it: at once when its
 * declared length is too large, else while it streams in (a JSON body is buffered up to the
 * limit, a streamed one is counted as the route reads it). Unlike Hono's `bodyLimit`, a streamed
 * route's body is never held in memory.
 */
export function limitBodies(options: BodyLimitOptions) {
  return createMiddleware<AppEnv>(async function limitBodiesMiddleware(c, next) {
    const body = c.req.raw.body;
    if (!body) return next();
    const limit = options.limitFor(c.req.method, c.req.path);
    const declared = declaredLength(c.req.raw.headers);
    if (declared !== undefined) {
      if (declared > limit.maxBytes) throw tooLarge(limit);
      return next();
    }
    if (limit.kind === "json") {
      // A body sent without a length is read up to the limit, refused at the first chunk past it.
      const { bytes, overflowed } = await readAtMost(body, limit.maxBytes);
      if (overflowed) throw tooLarge(limit);
      c.req.raw = new Request(c.req.raw, { body: bytes });
      return next();
    }
    let overflowed = false;
    let size = 0;
    const counted = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > limit.maxBytes) {
          overflowed = true;
          throw tooLarge(limit);
        }
        controller.enqueue(chunk);
      },
    });
    c.req.raw = new Request(c.req.raw, { body: body.pipeThrough(counted) });
    await next();
    // However the route surfaced the stream's error (its own 4xx, a storage error), the answer is the 413.
    if (overflowed && c.res.status !== 413) {
      c.res = undefined;
      c.res = await renderError(tooLarge(limit), c);
    }
  });
}
