/**
 * Secret values at rest: AES-GCM-256 under a key derived (HKDF-SHA-256) from the platform's
 * SECRETS_KEY, a fresh 12-byte IV per write, and the tenant and name as associated data, so a
 * ciphertext copied to another tenant's or name's row does not decrypt.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The value of SECRETS_KEY in .dev.vars.example: refused in production. */
export const EXAMPLE_SECRETS_KEY = "dev-secrets-key-change-me";
/**
 * Under `wrangler dev` with a .dev.vars made before SECRETS_KEY existed, secrets still work, under
 * the example's value; production refuses to run without its own key.
 */
const DEVELOPMENT_SECRETS_KEY = EXAMPLE_SECRETS_KEY;
const HKDF_SALT = encoder.encode("edge-jobs secrets");
const HKDF_INFO = encoder.encode("aes-gcm-256 v1");
const IV_BYTES = 12;

type KeyEnv = Pick<Env, "ENVIRONMENT"> & { SECRETS_KEY?: string };

/** Why secrets cannot be used with this configuration, or undefined when they can. */
export function secretsKeyProblem(env: KeyEnv): string | undefined {
  if (env.ENVIRONMENT !== "production") return undefined;
  if (!env.SECRETS_KEY) return "SECRETS_KEY must be set in production";
  if (env.SECRETS_KEY === EXAMPLE_SECRETS_KEY) return "the example SECRETS_KEY from .dev.vars.example is refused in production";
  return undefined;
}

/** Thrown when secrets are used while `secretsKeyProblem` names a problem. */
export class SecretsNotConfiguredError extends Error {
  override name = "SecretsNotConfiguredError";
}

/** The AES-GCM key every secret of the platform is sealed with; throws SecretsNotConfiguredError. */
export async function secretsKey(env: KeyEnv): Promise<CryptoKey> {
  const problem = secretsKeyProblem(env);
  if (problem) throw new SecretsNotConfiguredError(problem);
  const material = await crypto.subtle.importKey("raw", encoder.encode(env.SECRETS_KEY || DEVELOPMENT_SECRETS_KEY), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: HKDF_INFO },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Binds a ciphertext to its row: JSON keeps "a"+"bc" and "ab"+"c" apart. */
const associatedData = (tenant: string, name: string) => encoder.encode(JSON.stringify([tenant, name]));

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export interface Sealed {
  ciphertext: string;
  iv: string;
}

export async function sealSecret(key: CryptoKey, tenant: string, name: string, value: string): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: associatedData(tenant, name) },
    key,
    encoder.encode(value),
  );
  return { ciphertext: toBase64(new Uint8Array(sealed)), iv: toBase64(iv) };
}

/** Throws (an OperationError) when the row was not sealed for this tenant and name under this key. */
export async function openSecret(key: CryptoKey, tenant: string, name: string, sealed: Sealed): Promise<string> {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(sealed.iv), additionalData: associatedData(tenant, name) },
    key,
    fromBase64(sealed.ciphertext),
  );
  return decoder.decode(plain);
}
