import { decodeJson, encodeJson } from "./base64url-json";
import { hmac, safeEqual } from "./crypto";

/** How long a watch token may be used to open (or re-open) a job's event stream. */
export const EVENT_TOKEN_TTL_MS = 10 * 60_000;

interface TokenClaims {
  tenant: string;
  jobId: string;
  exp: number;
}

/**
 * A browser cannot set headers on a websocket, so it watches with a short-lived token signed by
 * the API (scoped to one job of one tenant) instead of putting the API key in the URL.
 */
export async function signEventToken(secret: string, claims: TokenClaims): Promise<string> {
  const payload = encodeJson(claims);
  return `${payload}.${await hmac(secret, payload)}`;
}

export async function verifyEventToken(secret: string, token: string, now = Date.now()): Promise<TokenClaims | undefined> {
  const [payload, signature, ...rest] = token.split(".");
  if (!payload || !signature || rest.length > 0) return undefined;
  if (!safeEqual(signature, await hmac(secret, payload))) return undefined;
  try {
    const claims = decodeJson(payload) as TokenClaims;
    return typeof claims.exp === "number" && claims.exp > now ? claims : undefined;
  } catch {
    return undefined;
  }
}
