/** Who a request or a platform submission acts as: the engine and the API both speak of it. */

export const SCOPES = ["jobs:read", "jobs:write", "reports:read", "reports:write", "admin"] as const;
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
