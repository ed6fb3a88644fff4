import { signingSecrets } from "../auth/configuration";
import { hmac, safeEqual } from "../crypto";

/** Where handlers call back; the API mounts its callbacks route here. */
export const CALLBACKS_PATH = "/api/v1/callbacks";

/** One attempt of one run of a job: what a callback token is scoped to. */
export interface AttemptRef {
  tenant: string;
  jobId: string;
  series: number;
  attempt: number;
}

const signed = (secret: string, ref: AttemptRef) => hmac(secret, `handler-callback\n${ref.tenant}\n${ref.jobId}\n${ref.series}\n${ref.attempt}`);

/**
 * `<series>.<attempt>.<mac>`: the attempt it was minted for is readable, so a late callback of an
 * earlier attempt is told that its attempt is over, while a forged one is refused.
 */
async function callbackToken(env: Env, ref: AttemptRef): Promise<string> {
  return `${ref.series}.${ref.attempt}.${await signed(signingSecrets(env)[0]!, ref)}`;
}

export async function callbackUrls(env: Env, base: string, ref: AttemptRef) {
  const root = `${base.replace(/\/+$/, "")}${CALLBACKS_PATH}/${encodeURIComponent(ref.tenant)}/${encodeURIComponent(ref.jobId)}/${await callbackToken(env, ref)}`;
  return { progress: `${root}/progress`, complete: `${root}/complete`, fail: `${root}/fail` };
}

/** The attempt a token was minted for, if the platform minted it (with any of its signing secrets). */
export async function attemptOfToken(env: Env, tenant: string, jobId: string, token: string): Promise<AttemptRef | undefined> {
  const match = /^(\d{1,9})\.(\d{1,9})\.([\w-]{20,100})$/.exec(token);
  if (!match) return undefined;
  const ref = { tenant, jobId, series: Number(match[1]), attempt: Number(match[2]) };
  for (const secret of signingSecrets(env)) if (await safeEqual(await signed(secret, ref), match[3]!)) return ref;
  return undefined;
}
