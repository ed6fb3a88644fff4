/**
 * How the platform signs its calls to a tenant's handler, as Stripe signs webhooks:
 * `Edge-Jobs-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with one `v1`
 * per secret in force (two for a day after the secret is rotated). Only Web Crypto, so the client
 * (`edge-jobs/client`) exports the same `verifySignature` for Node, browsers and Workers.
 */

export const SIGNATURE_HEADER = "Edge-Jobs-Signature";
/** How old a signed call may be when it is verified: it protects against replays of a captured call. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The header value signing `body` at `now` with each of `secrets`. */
export async function signatureHeader(secrets: readonly string[], body: string, now = Date.now()): Promise<string> {
  const t = Math.floor(now / 1000);
  const signatures = await Promise.all(secrets.map((secret) => hmacHex(secret, `${t}.${body}`)));
  return [`t=${t}`, ...signatures.map((v) => `v1=${v}`)].join(",");
}

/** Equal strings, compared without an early exit on the first differing character. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export interface VerifyOptions {
  /** Seconds a signature stays acceptable (default 300); `Infinity` skips the age check. */
  toleranceSeconds?: number;
  /** The time to check against, in ms (default now). */
  now?: number;
}

/**
 * Whether `header` (the `Edge-Jobs-Signature` of a call) signs exactly `body` (the raw request
 * body, as received, before any JSON parsing) with `secret`, within the tolerance.
 */
export async function verifySignature(body: string, header: string | null | undefined, secret: string, options: VerifyOptions = {}): Promise<boolean> {
  if (!header || !secret) return false;
  const parts = header.split(",").map((part) => part.trim().split("="));
  const t = Number(parts.find(([key]) => key === "t")?.[1]);
  const signatures = parts.filter(([key, value]) => key === "v1" && value).map(([, value]) => value!);
  if (!Number.isInteger(t) || signatures.length === 0) return false;
  const ageSeconds = Math.abs((options.now ?? Date.now()) / 1000 - t);
  if (ageSeconds > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = await hmacHex(secret, `${t}.${body}`);
  return signatures.some((signature) => sameText(signature, expected));
}
