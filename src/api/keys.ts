import { base64Url } from "../engine/ids";
import { decodeJson, encodeJson } from "./base64url-json";
import type { Scope } from "../auth/principal";
import { hmac, safeEqual } from "../crypto";

const PREFIX = "ejk_";

export interface KeyClaims {
  id: string;
  tenant: string;
  scopes: Scope[];
}

/**
 * API keys carry their id, tenant and scopes, signed with SIGNING_SECRET, so a request learns who
 * it is from without a round trip. Whether the key is still live (its hash stored in D1, not
 * revoked) is still checked in D1 on every request; a submit folds that check into its write.
 */
export async function mintKey(secret: string, claims: KeyClaims): Promise<string> {
  const payload = encodeJson({ i: claims.id, t: claims.tenant, s: claims.scopes });
  const random = base64Url(crypto.getRandomValues(new Uint8Array(24)));
  const body = `${payload}.${random}`;
  return `${PREFIX}${body}.${await hmac(secret, body)}`;
}

/** The key's claims when it is signed with one of `secrets` (the current one first), else undefined. */
export async function readKey(secrets: readonly string[], key: string): Promise<KeyClaims | undefined> {
  if (!key.startsWith(PREFIX)) return undefined;
  const parts = key.slice(PREFIX.length).split(".");
  if (parts.length !== 3) return undefined;
  const [payload, random, signature] = parts as [string, string, string];
  if (!(await signedWithOneOf(secrets, signature, `${payload}.${random}`))) return undefined;
  try {
    const raw = decodeJson(payload) as { i?: unknown; t?: unknown; s?: unknown };
    if (typeof raw.i !== "string" || typeof raw.t !== "string" || !Array.isArray(raw.s)) return undefined;
    return { id: raw.i, tenant: raw.t, scopes: raw.s as Scope[] };
  } catch {
    return undefined;
  }
}

/** Whether `signature` is the HMAC of `body` under one of `secrets`. */
export async function signedWithOneOf(secrets: readonly string[], signature: string, body: string): Promise<boolean> {
  for (const secret of secrets) if (await safeEqual(signature, await hmac(secret, body))) return true;
  return false;
}
