import { newRouter } from "../context";
import { ApiError, notFound } from "../errors";

/** The shell every dashboard page starts from (built by scripts/build-dashboard.mjs into dist/assets). */
const SHELL_PATH = "/dashboard/index.html";

/**
 * The shell's Content-Security-Policy: the bundled script and stylesheet only (no inline script,
 * nothing from elsewhere), API calls and websockets to this host only, and no framing (clickjacking).
 */
export function shellPolicy(host: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${host} wss://${host}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * The dashboard (src/dashboard/): its files are static assets, served before the worker runs; a
 * path below /dashboard that is no file is one of its client-side routes, answered with the shell.
 * Plain routes, not `openapi()` ones: they are no part of the API and stay out of its document.
 */
export const dashboardApi = newRouter()
  // Hashed bundles that exist never reach the worker: a missing one is an old name, not a page.
  .get("/assets/*", (c) => {
    throw notFound(`dashboard asset ${c.req.path}`);
  })
  .get("/*", async (c) => {
    const shell = await c.env.ASSETS.fetch(new URL(SHELL_PATH, c.req.url));
    if (!shell.ok) {
      throw new ApiError(503, "dashboard_not_built", "the dashboard's files are missing: run `npm run build:dashboard` before starting the worker");
    }
    return new Response(shell.body, {
      status: 200,
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": shellPolicy(new URL(c.req.url).host),
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        // The shell names the current bundles: a cached copy could name ones a deploy removed.
        "cache-control": "no-store",
      },
    });
  });
