import { z } from "@hono/zod-openapi";
import type { Principal } from "../auth/principal";
import { signJson, verifyJson } from "./signed-json";

/** How long a watch token may be used to open (or re-open) a job's event stream. */
export const EVENT_TOKEN_TTL_MS = 10 * 60_000;

/**
 * What a watch token says. A token missing any claim (tokens minted before they named their key
 * cannot be checked against revocation) or with one of the wrong type is refused, however well signed.
 */
const TokenClaimsSchema = z.object({
  tenant: z.string().min(1),
  jobId: z.string().min(1),
  exp: z.number(),
  /** The key that minted the token, when it is stored in D1 (null for the env admin key): revoking it ends the token. */
  keyId: z.string().min(1).nullable(),
});
type TokenClaims = z.infer<typeof TokenClaimsSchema>;

/**
 * A browser cannot set headers on a websocket, so it watches with a short-lived token signed by
 * the API (scoped to one job of one tenant) instead of putting the API key in the URL.
 */
export function signEventToken(secret: string, claims: TokenClaims): Promise<string> {
  return signJson(secret, claims);
}

export function verifyEventToken(secrets: readonly string[], token: string, now = Date.now()): Promise<TokenClaims | undefined> {
  return verifyJson(secrets, token, TokenClaimsSchema, now);
}

/** The id a token names its minting key by: only keys stored in D1 can be revoked. */
export function revocableKeyId(principal: Principal): string | null {
  return principal.keyHash ? principal.keyId : null;
}

/** A token opens streams only while the key that minted it is not revoked. */
export async function mintingKeyLive(db: D1Database, claims: TokenClaims): Promise<boolean> {
  if (claims.keyId === null) return true;
  const row = await db.prepare("SELECT 1 AS live FROM api_keys WHERE id = ? AND revoked_at IS NULL").bind(claims.keyId).first();
  return row !== null;
}
