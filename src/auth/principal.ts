/** Who a request or a platform submission acts as: the engine and the API both speak of it. */

export const SCOPES = ["jobs:read", "jobs:write", "reports:read", "reports:write", "metrics:read", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** The tenant of the env admin key: the platform's own operator. */
export const ADMIN_TENANT = "admin";

export interface Principal {
  tenant: string;
  scopes: Scope[];
  keyId: string;
  /** SHA-256 of a key stored in D1; absent for the env admin key. */
  keyHash?: string;
}

/**
 * Whether the caller holds the platform's own admin key (ADMIN_API_KEY), whichever tenant it acts
 * as: a dashboard session opened with it may have switched to a tenant, and still speaks for all.
 * Every key stored in D1 has a hash; the env admin key has none.
 */
export function holdsPlatformKey(principal: Principal): boolean {
  return principal.keyHash === undefined && principal.scopes.includes("admin");
}
