import fc from "fast-check";
import type { Operation } from "./openapi";
import { authorization, type FuzzRequest, pathOf, type RequestContext, withPrinting } from "./requests";
import { oddString } from "./values";

/**
 * HEAD is left out: its answer has no body by definition, so there is no envelope to check.
 * OPTIONS is in: no route declares it.
 */
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const strayPaths = fc.oneof(
  fc.constantFrom("/api/v1", "/api/v1/", "/api/v2/jobs", "//api/v1/jobs", "/api/v1/jobs/", "/api/v1/JOBS", "/api/v1/jobs//x", "/api/v1/%2e%2e/jobs",
    "/api/v1/openapi.json/x", "/api/v1/nothing", "/api", "/api/v1/jobs/x/y/z", "/favicon.ico", "/api/v1/%ZZ", "/api/v1/jobs;x"),
  oddString.map((segment) => `/api/v1/${encodeURIComponent(segment.replace(/[\ud800-\udfff]/g, ""))}`),
);

/** Requests no operation declares: a documented path with a method it lacks, or a path nothing serves. */
export function strayRequests(operations: Operation[], ctx: RequestContext): fc.Arbitrary<FuzzRequest> {
  const declared = new Map<string, Set<string>>();
  for (const op of operations) declared.set(op.path, (declared.get(op.path) ?? new Set()).add(op.method));
  const undeclared = operations.flatMap((op) =>
    METHODS.filter((m) => !declared.get(op.path)!.has(m)).map((method) => ({ ...op, method, bodies: {} })));
  const documentedPath = fc.constantFrom(...undeclared).chain((op) => pathOf(op, ctx).map((path) => ({ method: op.method, path })));
  const anyPath = fc.tuple(fc.constantFrom(...METHODS), strayPaths).map(([method, path]) => ({ method, path }));
  return fc.record({ target: fc.oneof(documentedPath, anyPath), auth: authorization(ctx.keys, ctx.signed), body: fc.option(fc.constantFrom("{}", "x", '{"type":"simulate"}')) })
    .map(({ target, auth, body }) => {
      const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth };
      const sendsBody = body !== null && target.method !== "GET";
      if (sendsBody) headers["content-type"] = "application/json";
      return withPrinting({ method: target.method, url: target.path, headers, body: sendsBody ? body : undefined });
    });
}
