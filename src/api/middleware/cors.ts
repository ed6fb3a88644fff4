import type { Context } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../context";

/** The headers a browser app on another origin may send, and those it may read back. */
const ALLOWED_HEADERS = ["authorization", "content-type", "last-event-id"];
const EXPOSED_HEADERS = [
  "location", "retry-after", "x-request-id", "content-disposition",
  "ratelimit-policy", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
];

/** The operator's CORS_ALLOWED_ORIGINS: exact origins, comma separated, or `*` for any. */
export function allowedOrigin(origin: string, env: Env): string | null {
  const allowed = (env.CORS_ALLOWED_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  if (allowed.includes("*")) return "*";
  return allowed.includes(origin) ? origin : null;
}

/**
 * CORS for browser apps on other origins (allowed by the operator in CORS_ALLOWED_ORIGINS), with
 * preflights answered. They authenticate with a key or a watch token, never with the dashboard's
 * cookie: no `Access-Control-Allow-Credentials`, and the cookie is SameSite=Strict besides.
 */
export const corsForApps = cors({
  origin: (origin: string, c: Context<AppEnv>) => (origin ? allowedOrigin(origin, c.env) : null),
  allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
  allowHeaders: ALLOWED_HEADERS,
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: 600,
});
