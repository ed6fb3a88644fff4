import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { signingSecrets } from "../../auth/configuration";
import { ADMIN_TENANT } from "../../auth/principal";
import { TenantName, errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import { type AppEnv, newRouter } from "../context";
import { ApiError } from "../errors";
import { assertKeyLive, principalForKey, useTenantDatabase } from "../middleware/auth";
import { assertSameOrigin, sessionCaller, sessionClaims } from "../middleware/session";
import { SESSION_COOKIE, SESSION_TTL_MS, type SessionClaims, sessionFor, sessionView, signOut, signSession } from "../session-token";

const tags = ["session"];

const SessionSchema = z
  .object({
    tenant: z.string().describe("the tenant the session acts as"),
    scopes: z.array(z.string()),
    admin: z.boolean().describe("opened with the platform's admin key: may switch tenants"),
    platform: z.boolean().describe("an admin session not switched to a tenant: platform-wide views"),
    csrfToken: z.string().describe("send it as `x-csrf-token` with every request other than GET made with the session cookie"),
    expiresAt: z.string(),
  })
  .openapi("Session");

const SignInSchema = z.object({ apiKey: z.string().min(1).max(1_000) }).strict().openapi("SignIn");

const signInRoute = createRoute({
  method: "post",
  path: "/",
  operationId: "createSession",
  summary: "Sign in with an API key: sets the dashboard's session cookie (HttpOnly, SameSite=Strict, 12 hours)",
  tags,
  // The key is in the body: no credentials are needed to sign in.
  security: [],
  request: jsonBody(SignInSchema),
  responses: { 200: jsonContent(SessionSchema, "Signed in"), ...errorResponses(400, 401, 403) },
});

const currentRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "getSession",
  summary: "The session the cookie holds",
  tags,
  responses: { 200: jsonContent(SessionSchema, "The session") },
});

const signOutRoute = createRoute({
  method: "delete",
  path: "/",
  operationId: "deleteSession",
  summary: "Sign out: clears the session cookie",
  tags,
  responses: { 204: { description: "Signed out" } },
});

const switchRoute = createRoute({
  method: "put",
  path: "/tenant",
  operationId: "setSessionTenant",
  summary: "Admin sessions: act as another tenant (or `admin` for the platform-wide views)",
  tags,
  request: jsonBody(z.object({ tenant: z.union([TenantName, z.literal(ADMIN_TENANT)]) }).strict()),
  responses: { 200: jsonContent(SessionSchema, "The switched session") },
});

/** Secure everywhere but on the developer's own machine, where `wrangler dev` serves plain HTTP. */
function onLocalhost(c: Context<AppEnv>): boolean {
  return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(c.req.url).hostname);
}

async function openSession(c: Context<AppEnv>, claims: SessionClaims) {
  setCookie(c, SESSION_COOKIE, await signSession(signingSecrets(c.env)[0]!, claims), {
    httpOnly: true,
    sameSite: "Strict",
    secure: !onLocalhost(c),
    path: "/",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
  return c.json(sessionView(claims), 200);
}

/** The cookie's claims once its caller is known to be live (the key not revoked). */
async function currentClaims(c: Context<AppEnv>): Promise<SessionClaims> {
  const principal = await sessionCaller(c);
  if (!principal) throw new ApiError(401, "unauthorized", "not signed in");
  useTenantDatabase(c, principal.tenant);
  await assertKeyLive(c.env, principal);
  return (await sessionClaims(c))!;
}

export const sessionApi = newRouter()
  .openapi(signInRoute, async (c) => {
    assertSameOrigin(c);
    const { apiKey } = c.req.valid("json");
    const principal = await principalForKey(c.env, apiKey);
    if (!principal) throw new ApiError(401, "unauthorized", "unknown or revoked API key");
    useTenantDatabase(c, principal.tenant);
    await assertKeyLive(c.env, principal);
    return openSession(c, await sessionFor(principal, apiKey));
  })
  .openapi(currentRoute, async (c) => c.json(sessionView(await currentClaims(c)), 200))
  .openapi(signOutRoute, async (c) => {
    const claims = await sessionClaims(c);
    // Only a request from the session's own pages (its CSRF token) may end it.
    if (claims && (await sessionCaller(c).catch(swallowExpired))) await signOut(c.env, claims);
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: !onLocalhost(c) });
    return c.body(null, 204);
  })
  .openapi(switchRoute, async (c) => {
    const claims = await currentClaims(c);
    if (!claims.admin) throw new ApiError(403, "forbidden", "only a session opened with the platform's admin key can switch tenants");
    return openSession(c, { ...claims, tenant: c.req.valid("json").tenant });
  });

/** Signing out of a session that has already ended is fine; a forged request (no CSRF token) is not. */
function swallowExpired(err: unknown) {
  if (err instanceof ApiError && err.status === 401) return undefined;
  throw err;
}
