import { z } from "@hono/zod-openapi";
import { ADMIN_TENANT, type Principal, SCOPES, holdsPlatformKey } from "../auth/principal";
import { adminKeys } from "../auth/configuration";
import { sha256Hex } from "../crypto";
import { base64Url } from "../engine/ids";
import { platformDatabase } from "../db/shards";
import { signJson, verifyJson } from "./signed-json";

/** The dashboard's session cookie: what a browser sends instead of `Authorization: Bearer`. */
export const SESSION_COOKIE = "ej_session";

/** How long a sign-in lasts; the dashboard asks for the key again after that. */
export const SESSION_TTL_MS = 12 * 3_600_000;

/**
 * What a session cookie says, signed with SIGNING_SECRET. It names the key it was opened with
 * (its id and hash, never the key), so revoking the key ends the session at its next request;
 * for the env admin key, the hash of the admin key, so rotating it ends admin sessions too.
 * `csrf` is the token every state-changing request must also send in `x-csrf-token`.
 */
const SessionClaimsSchema = z.object({
  /** The tenant the session acts as: the key's own, or for the admin key the one it switched to. */
  tenant: z.string().min(1),
  keyId: z.string().min(1),
  keyHash: z.string().min(1),
  scopes: z.array(z.enum(SCOPES)),
  admin: z.boolean(),
  csrf: z.string().min(16),
  /** Names the session for sign-out (`signed_out_sessions`). */
  sid: z.string().min(16),
  exp: z.number(),
});
export type SessionClaims = z.infer<typeof SessionClaimsSchema>;

/** The claims of a session opened with the key `principal` came from. */
export async function sessionFor(principal: Principal, key: string, now = Date.now()): Promise<SessionClaims> {
  return {
    tenant: principal.tenant,
    keyId: principal.keyId,
    keyHash: principal.keyHash ?? (await sha256Hex(key)),
    scopes: principal.scopes,
    admin: holdsPlatformKey(principal),
    csrf: base64Url(crypto.getRandomValues(new Uint8Array(24))),
    sid: base64Url(crypto.getRandomValues(new Uint8Array(18))),
    exp: now + SESSION_TTL_MS,
  };
}

export function signSession(secret: string, claims: SessionClaims): Promise<string> {
  return signJson(secret, claims);
}

/** The claims of a well-signed, unexpired session cookie, else undefined. */
export function verifySession(secrets: readonly string[], cookie: string, now = Date.now()): Promise<SessionClaims | undefined> {
  return verifyJson(secrets, cookie, SessionClaimsSchema, now);
}

/** Whether the session was signed out (its cookie may still be presented, signed and unexpired). */
export async function signedOut(env: Env, claims: SessionClaims): Promise<boolean> {
  const row = await platformDatabase(env).prepare("SELECT 1 AS out FROM signed_out_sessions WHERE id = ?").bind(claims.sid).first();
  return row !== null;
}

/** Ends the session for good: its cookie is refused from now on, wherever it was kept. */
export async function signOut(env: Env, claims: SessionClaims, now = Date.now()): Promise<void> {
  const db = platformDatabase(env);
  await db.batch([
    db.prepare("INSERT INTO signed_out_sessions (id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING").bind(claims.sid, claims.exp),
    // Sessions past their expiry are refused anyway: their rows can go.
    db.prepare("DELETE FROM signed_out_sessions WHERE expires_at < ?").bind(now),
  ]);
}

/**
 * Who a session acts as. An admin session switched to a tenant acts with every scope inside that
 * tenant only, like a tenant key with the `admin` scope; unswitched it is the platform admin.
 */
export async function sessionPrincipal(env: Env, claims: SessionClaims): Promise<Principal | undefined> {
  if (!claims.admin) return { tenant: claims.tenant, scopes: claims.scopes, keyId: claims.keyId, keyHash: claims.keyHash };
  for (const key of adminKeys(env)) {
    if ((await sha256Hex(key)) === claims.keyHash) return { tenant: claims.tenant, scopes: [...SCOPES], keyId: claims.keyId };
  }
  return undefined;
}

/** What the session endpoints answer: enough for the dashboard to decide what to show. */
export function sessionView(claims: SessionClaims) {
  return {
    tenant: claims.tenant,
    scopes: claims.admin ? [...SCOPES] : claims.scopes,
    admin: claims.admin,
    platform: claims.admin && claims.tenant === ADMIN_TENANT,
    csrfToken: claims.csrf,
    expiresAt: new Date(claims.exp).toISOString(),
  };
}
