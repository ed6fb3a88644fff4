import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { signingSecrets } from "../../auth/configuration";
import type { Principal } from "../../auth/principal";
import { safeEqual } from "../../crypto";
import type { AppEnv } from "../context";
import { ApiError } from "../errors";
import { SESSION_COOKIE, type SessionClaims, sessionPrincipal, signedOut, verifySession } from "../session-token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const CSRF_HEADER = "x-csrf-token";

/**
 * A request from another site must not act with the session: the cookie is SameSite=Strict, and
 * an `Origin` naming another site is refused as well, for browsers that send the cookie anyway.
 */
export function assertSameOrigin(c: Context<AppEnv>) {
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== new URL(c.req.url).origin) {
    throw new ApiError(403, "cross_origin", "requests from another site cannot use the dashboard session");
  }
}

/** The claims of the request's session cookie when it is well signed and unexpired. */
export async function sessionClaims(c: Context<AppEnv>): Promise<SessionClaims | undefined> {
  const cookie = getCookie(c, SESSION_COOKIE);
  return cookie === undefined ? undefined : verifySession(signingSecrets(c.env), cookie);
}

/**
 * The caller a dashboard session cookie names, or undefined without one. A state-changing request
 * must also send the session's CSRF token in `x-csrf-token`: a page of another site cannot read
 * it, so it cannot make the browser act on the user's behalf.
 */
export async function sessionCaller(c: Context<AppEnv>): Promise<Principal | undefined> {
  if (getCookie(c, SESSION_COOKIE) === undefined) return undefined;
  const claims = await sessionClaims(c);
  const principal = claims && (await sessionPrincipal(c.env, claims));
  if (!claims || !principal || (await signedOut(c.env, claims))) throw new ApiError(401, "unauthorized", "the session has expired or is no longer valid: sign in again");
  assertSameOrigin(c);
  if (!SAFE_METHODS.has(c.req.method) && !(await safeEqual(c.req.header(CSRF_HEADER) ?? "", claims.csrf))) {
    throw new ApiError(403, "csrf_failed", `a request made with the session cookie must send the session's CSRF token in \`${CSRF_HEADER}\``);
  }
  return principal;
}
