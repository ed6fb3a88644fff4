import type { Principal } from "./principal";

/**
 * The statement, for a key stored in D1, that counts it as live (stored and not revoked): the
 * auth middleware runs it alone, a submit folds it into its own D1 batch.
 */
export function liveKeyStatement(env: Env, principal: Principal) {
  return env.DB.prepare("SELECT count(*) AS live FROM api_keys WHERE id = ? AND hash = ? AND revoked_at IS NULL").bind(
    principal.keyId,
    principal.keyHash ?? "",
  );
}
