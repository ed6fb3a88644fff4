import { and, eq, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { apiKeys } from "../../db/schema";
import { type AppEnv, type Principal, SCOPES, type Scope } from "../context";
import { sha256Hex, safeEqual } from "../crypto";
import { ApiError } from "../errors";

export const ADMIN_TENANT = "admin";
const EXAMPLE_SECRETS = ["dev-admin-key-change-me", "dev-signing-secret-change-me"];

function assertConfigured(env: Env) {
  if (!env.ADMIN_API_KEY || !env.SIGNING_SECRET) {
    throw new ApiError(503, "not_configured", "ADMIN_API_KEY and SIGNING_SECRET must be set");
  }
  if (env.ENVIRONMENT === "production" && [env.ADMIN_API_KEY, env.SIGNING_SECRET].some((s) => EXAMPLE_SECRETS.includes(s))) {
    throw new ApiError(503, "not_configured", "the example secrets from .dev.vars.example are refused in production");
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

export async function principalForKey(env: Env, c: { get(key: "db"): AppEnv["Variables"]["db"] }, key: string) {
  assertConfigured(env);
  if (safeEqual(key, env.ADMIN_API_KEY)) {
    return { tenant: ADMIN_TENANT, scopes: [...SCOPES], keyId: "env:ADMIN_API_KEY" } satisfies Principal;
  }
  const hash = await sha256Hex(key);
  const row = await c
    .get("db")
    .select({ id: apiKeys.id, tenant: apiKeys.tenant, scopes: apiKeys.scopes })
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)))
    .get();
  if (!row) return undefined;
  return { tenant: row.tenant, scopes: JSON.parse(row.scopes) as Scope[], keyId: row.id } satisfies Principal;
}

/** Requires `Authorization: Bearer <key>` and puts the key's tenant and scopes on the context. */
export const authenticate = createMiddleware<AppEnv>(async function authenticate(c, next) {
  const key = bearerToken(c.req.header("authorization"));
  if (!key) throw new ApiError(401, "unauthorized", "send an API key as `Authorization: Bearer <key>`");
  const principal = await principalForKey(c.env, c, key);
  if (!principal) throw new ApiError(401, "unauthorized", "unknown or revoked API key");
  c.set("principal", principal);
  await next();
});

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes("admin") || principal.scopes.includes(scope);
}

export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async function requireScopeMiddleware(c, next) {
    if (!hasScope(c.get("principal"), scope)) {
      throw new ApiError(403, "forbidden", `this key lacks the \`${scope}\` scope`);
    }
    await next();
  });
}
