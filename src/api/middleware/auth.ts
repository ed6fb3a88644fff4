import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { liveKeyStatement } from "../../auth/live-key";
import { adminKeys, configurationProblem, signingSecrets } from "../../auth/configuration";
import { ADMIN_TENANT, type Principal, SCOPES, type Scope } from "../../auth/principal";
import { sha256Hex, safeEqual } from "../../crypto";
import { database } from "../../db/client";
import { tenantEnv } from "../../db/shards";
import type { AppEnv } from "../context";
import { ApiError, renderError } from "../errors";
import { readKey } from "../keys";
import { sessionCaller } from "./session";

function assertConfigured(env: Env) {
  const problem = configurationProblem(env);
  if (problem) throw new ApiError(503, "not_configured", problem);
}

export function bearerToken(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}

/** Who a key says it is; no I/O. `keyHash` is set for keys stored in D1 (not the env admin key). */
export async function principalForKey(env: Env, key: string): Promise<Principal | undefined> {
  assertConfigured(env);
  for (const adminKey of adminKeys(env)) {
    if (await safeEqual(key, adminKey)) return { tenant: ADMIN_TENANT, scopes: [...SCOPES], keyId: "env:ADMIN_API_KEY" };
  }
  const claims = await readKey(signingSecrets(env), key);
  if (!claims) return undefined;
  return { tenant: claims.tenant, scopes: claims.scopes, keyId: claims.id, keyHash: await sha256Hex(key) };
}

const notLive = () => new ApiError(401, "unauthorized", "unknown or revoked API key");

async function keyLive(env: Env, principal: Principal): Promise<boolean> {
  if (!principal.keyHash) return true;
  const row = await liveKeyStatement(env, principal).first<{ live: number }>();
  return Boolean(row?.live);
}

export async function assertKeyLive(env: Env, principal: Principal): Promise<void> {
  if (!(await keyLive(env, principal))) throw notLive();
}

/**
 * Puts the caller on the context, and its tenant's database (src/db/shards.ts) under `DB`: every
 * route below reads and writes the tenant's shard, found from the key alone.
 */
export function actAs(c: Context<AppEnv>, principal: Principal) {
  c.set("principal", principal);
  useTenantDatabase(c, principal.tenant);
}

/** Binds the request to `tenant`'s database (for a platform admin acting on another tenant, too). */
export function useTenantDatabase(c: Context<AppEnv>, tenant: string) {
  c.set("tenant", tenant);
  c.env = tenantEnv(c.env, tenant);
  c.set("db", database(c.env));
}

/**
 * Who is calling: the API key in `Authorization: Bearer`, or else the dashboard's session cookie
 * (src/api/middleware/session.ts). Undefined when the request carries neither.
 */
export async function callerPrincipal(c: Context<AppEnv>): Promise<Principal | undefined> {
  const key = bearerToken(c.req.header("authorization"));
  if (key === undefined) {
    assertConfigured(c.env);
    return sessionCaller(c);
  }
  const principal = await principalForKey(c.env, key);
  if (!principal) throw notLive();
  return principal;
}

/** A 4xx other than 401: what the request's body or state earned, which a dead key must not learn. */
const refusedByClient = (status: number) => status >= 400 && status < 500 && status !== 401;

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes("admin") || principal.scopes.includes(scope);
}

export interface ScopeOptions {
  /**
   * The route checks that the key is live inside its own D1 write (see `submitJobs`). A request
   * refused before that write (its body invalid, its job input unacceptable) has its key checked
   * then, so a key that is not live is 401 whatever else is wrong, and a valid submit still costs
   * one D1 round trip.
   */
  liveCheckedByWrite?: boolean;
}

/**
 * Every authenticated route declares this in its own middleware list: it reads
 * `Authorization: Bearer <key>` (or the dashboard's session cookie), puts the key's tenant and scopes on the context, and requires
 * `scope` and a live key. Routes that do not declare it (health, the OpenAPI document, the event
 * stream, which also takes watch tokens) are open.
 */
export function requireScope(scope: Scope, options: ScopeOptions = {}) {
  return requireAnyScope([scope], options);
}

/** `requireScope` for routes that any one of `scopes` opens (a key needs one of them, not all). */
export function requireAnyScope(scopes: readonly Scope[], options: ScopeOptions = {}) {
  return createMiddleware<AppEnv>(async function requireScopeMiddleware(c, next) {
    const principal = await callerPrincipal(c);
    if (!principal) throw new ApiError(401, "unauthorized", "send an API key as `Authorization: Bearer <key>`");
    actAs(c, principal);
    // A revoked key is 401 whatever its scopes say, so liveness is settled before the scope.
    const scoped = scopes.some((scope) => hasScope(principal, scope));
    if (!scoped || !options.liveCheckedByWrite) await assertKeyLive(c.env, principal);
    if (!scoped) throw new ApiError(403, "forbidden", `this key lacks the ${scopes.map((s) => `\`${s}\``).join(" or ")} scope`);
    await next();
    if (options.liveCheckedByWrite && refusedByClient(c.res.status) && !(await keyLive(c.env, principal))) {
      c.res = undefined;
      c.res = await renderError(notLive(), c);
    }
  });
}
