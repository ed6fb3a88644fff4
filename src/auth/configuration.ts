import { secretsKeyProblem } from "../secrets/cipher";

/** The values of .dev.vars.example: fine locally, refused in production. */
const EXAMPLE_SECRETS = ["dev-admin-key-change-me", "dev-signing-secret-change-me"];

/**
 * Why the platform cannot serve with this configuration, or undefined when it can. Every
 * authenticated request is refused while there is one, and /health reports it, so a deployment
 * made with the example secrets is caught at once rather than left open to whoever read them.
 */
export function configurationProblem(env: Env): string | undefined {
  if (!env.ADMIN_API_KEY || !env.SIGNING_SECRET) return "ADMIN_API_KEY and SIGNING_SECRET must be set";
  if (env.ENVIRONMENT === "production" && [...adminKeys(env), ...signingSecrets(env)].some((s) => EXAMPLE_SECRETS.includes(s))) {
    return "the example secrets from .dev.vars.example are refused in production";
  }
  return secretsKeyProblem(env);
}

/** Secrets set only while one is being rotated (docs/deploy.md, "Rotating secrets"). */
type RotatingEnv = Env & { ADMIN_API_KEY_PREVIOUS?: string; SIGNING_SECRET_PREVIOUS?: string };

/** The admin keys accepted: ADMIN_API_KEY, and during a rotation ADMIN_API_KEY_PREVIOUS. */
export function adminKeys(env: Env): string[] {
  return [env.ADMIN_API_KEY, (env as RotatingEnv).ADMIN_API_KEY_PREVIOUS].filter((k): k is string => !!k);
}

/**
 * The secrets a key's or token's signature is checked against: SIGNING_SECRET, and during a
 * rotation SIGNING_SECRET_PREVIOUS, so keys issued before it keep working. New ones are always
 * signed with SIGNING_SECRET (the first).
 */
export function signingSecrets(env: Env): string[] {
  return [env.SIGNING_SECRET, (env as RotatingEnv).SIGNING_SECRET_PREVIOUS].filter((s): s is string => !!s);
}
