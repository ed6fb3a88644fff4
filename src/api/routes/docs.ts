import { newRouter } from "../context";
import { ApiError } from "../errors";

/** The page scripts/build-docs.mjs writes beside the pinned Swagger UI it copies into dist/assets. */
const PAGE_PATH = "/docs/index.html";

/**
 * The page's Content-Security-Policy: Swagger UI's bundle and our start script, both from this host (no
 * inline script); inline styles, as Swagger UI sets style attributes; the document fetched from here.
 */
export const DOCS_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The API reference at /docs, rendering /api/v1/openapi.json offline. A plain route: no part of the API. */
export const docsApi = newRouter().get("/", async (c) => {
  const page = await c.env.ASSETS.fetch(new URL(PAGE_PATH, c.req.url));
  if (!page.ok) {
    throw new ApiError(503, "docs_not_built", "the API reference's files are missing: run `npm run build:dashboard` before starting the worker");
  }
  return new Response(page.body, {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": DOCS_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      "cache-control": "no-cache",
    },
  });
});
