import { openSecret, sealSecret, secretsKey } from "./cipher";

/**
 * The secrets the platform signs its calls to a tenant's endpoints with (job handlers, webhooks),
 * sealed like a tenant's secrets (AES-GCM under SECRETS_KEY, bound to tenant and name). After a
 * rotation the previous one still signs, beside the new, for a day: time to deploy the new one.
 */

export const PREVIOUS_SECRET_MS = 86_400_000;
const SECRET_BYTES = 32;

/** A sealed secret as its row holds it, with the one it replaced while that still signs. */
export interface SealedSigningSecret {
  secretCiphertext: string;
  secretIv: string;
  previousCiphertext: string | null;
  previousIv: string | null;
  previousUntil: number | null;
}

export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return `whsec_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export async function sealSigningSecret(env: Env, tenant: string, name: string, secret: string) {
  const sealed = await sealSecret(await secretsKey(env), tenant, name, secret);
  return { secretCiphertext: sealed.ciphertext, secretIv: sealed.iv };
}

/** A new secret for a row, the current one kept as the previous until a day from `now`. */
export async function rotatedSigningSecret(env: Env, tenant: string, name: string, row: SealedSigningSecret, now: number) {
  const secret = newSigningSecret();
  const sealed = await sealSigningSecret(env, tenant, name, secret);
  const previousUntil = now + PREVIOUS_SECRET_MS;
  return { secret, previousUntil, set: { ...sealed, previousCiphertext: row.secretCiphertext, previousIv: row.secretIv, previousUntil } };
}

/** The secrets calls are signed with now: the current one, and the previous one for a day after a rotation. */
export async function openSigningSecrets(env: Env, tenant: string, name: string, row: SealedSigningSecret, now = Date.now()): Promise<string[]> {
  const key = await secretsKey(env);
  const current = await openSecret(key, tenant, name, { ciphertext: row.secretCiphertext, iv: row.secretIv });
  if (!row.previousCiphertext || !row.previousIv || (row.previousUntil ?? 0) <= now) return [current];
  return [current, await openSecret(key, tenant, name, { ciphertext: row.previousCiphertext, iv: row.previousIv })];
}

/** When the previous secret stops signing, if it still does. */
export function previousSecretExpiresAt(row: Pick<SealedSigningSecret, "previousUntil">, now = Date.now()): string | null {
  return row.previousUntil !== null && row.previousUntil > now ? new Date(row.previousUntil).toISOString() : null;
}
