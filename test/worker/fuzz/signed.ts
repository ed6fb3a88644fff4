import { hmac } from "../../../src/crypto";
import { env } from "../helpers";
import { base64UrlText } from "./values";


/** Credentials the worker's own secret signed, with claims it never issues: only what they say is wrong. */
export interface SignedCredentials {
  apiKeys: string[];
  watchTokens: string[];
}

/** Claims of API keys (`{i, t, s}`): unknown ids, other tenants, scopes of the wrong type or unknown. */
function keyClaims(tenant: string, liveKeyId: string): string[] {
  return [
    JSON.stringify({ i: "key_nonexistent", t: tenant, s: ["admin"] }),
    JSON.stringify({ i: liveKeyId, t: "other-tenant", s: ["admin"] }),
    JSON.stringify({ i: liveKeyId, t: tenant, s: ["root", "jobs:*"] }),
    JSON.stringify({ i: liveKeyId, t: tenant, s: "admin" }),
    JSON.stringify({ i: liveKeyId, t: tenant, s: [1, null, {}] }),
    JSON.stringify({ i: liveKeyId, t: "", s: [] }),
    JSON.stringify({ i: 1, t: tenant, s: ["admin"] }),
    JSON.stringify({ t: tenant, s: ["admin"] }),
    JSON.stringify({ i: liveKeyId, t: "\u0000", s: ["admin"] }),
    JSON.stringify({ i: "env:ADMIN_API_KEY", t: "*", s: ["admin"] }),
    '{"i":"x","t":"y","s":["admin"],"__proto__":{"admin":true}}',
    "[]",
    "null",
    "{",
  ];
}

/** Claims of watch tokens (`{tenant, jobId, exp, keyId}`): missing, mistyped, expired, far future. */
function tokenClaims(tenant: string, jobId: string, keyId: string): string[] {
  const exp = Date.now() + 600_000;
  return [
    JSON.stringify({ jobId, exp, keyId }),
    JSON.stringify({ tenant, exp, keyId }),
    JSON.stringify({ tenant, jobId, keyId }),
    JSON.stringify({ tenant, jobId, exp }),
    JSON.stringify({ tenant, jobId: 1, exp, keyId }),
    JSON.stringify({ tenant: ["x"], jobId, exp, keyId }),
    JSON.stringify({ tenant, jobId, exp: "later", keyId }),
    JSON.stringify({ tenant, jobId, exp: 1, keyId }),
    `{"tenant":"${tenant}","jobId":"${jobId}","exp":1e999,"keyId":null}`,
    JSON.stringify({ tenant: "other-tenant", jobId, exp, keyId: null }),
    JSON.stringify({ tenant, jobId: "job_nonexistent", exp, keyId }),
    JSON.stringify({ tenant, jobId, exp, keyId: "key_nonexistent" }),
    "[]",
    '"token"',
  ];
}

/** Signs each set of claims as the worker would (base64url JSON, HMAC with SIGNING_SECRET). */
export async function signedCredentials(tenant: string, jobId: string, keyId: string): Promise<SignedCredentials> {
  const secret = env.SIGNING_SECRET;
  const apiKeys = await Promise.all(keyClaims(tenant, keyId).map(async (claims) => {
    const body = `${base64UrlText(claims)}.fuzzrandom`;
    return `ejk_${body}.${await hmac(secret, body)}`;
  }));
  const watchTokens = await Promise.all(tokenClaims(tenant, jobId, keyId).map(async (claims) => {
    const payload = base64UrlText(claims);
    return `${payload}.${await hmac(secret, payload)}`;
  }));
  return { apiKeys, watchTokens };
}
