import { OpenAPIHono } from "@hono/zod-openapi";
import type { Database } from "../db/client";
import { validationHook } from "./errors";

export const SCOPES = ["jobs:read", "jobs:write", "reports:read", "reports:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  tenant: string;
  scopes: Scope[];
  keyId: string;
  /** SHA-256 of a key stored in D1; absent for the env admin key. */
  keyHash?: string;
}

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Database;
    principal: Principal;
  };
};

/** Every sub-app is built here so they all share the error envelope for validation failures. */
export function newRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
