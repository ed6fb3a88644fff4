import type { z } from "@hono/zod-openapi";
import { hmac } from "../crypto";
import { decodeJson, encodeJson } from "./base64url-json";
import { signedWithOneOf } from "./keys";

/**
 * Claims as `payload.signature`: base64url JSON and its HMAC, as watch tokens and session cookies
 * carry them. Signed with the first of the signing secrets.
 */
export async function signJson(secret: string, claims: unknown): Promise<string> {
  const payload = encodeJson(claims);
  return `${payload}.${await hmac(secret, payload)}`;
}

/**
 * The claims of a token signed with one of `secrets` that `schema` accepts and whose `exp` is
 * still ahead, else undefined: a token missing a claim, or with one of the wrong type, is refused
 * however well signed.
 */
export async function verifyJson<T extends { exp: number }>(
  secrets: readonly string[],
  token: string,
  schema: z.ZodType<T>,
  now = Date.now(),
): Promise<T | undefined> {
  const [payload, signature, ...rest] = token.split(".");
  if (!payload || !signature || rest.length > 0) return undefined;
  if (!(await signedWithOneOf(secrets, signature, payload))) return undefined;
  let decoded: unknown;
  try {
    decoded = decodeJson(payload);
  } catch {
    return undefined;
  }
  const claims = schema.safeParse(decoded);
  return claims.success && claims.data.exp > now ? claims.data : undefined;
}
