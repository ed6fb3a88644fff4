import { OpenAPIHono } from "@hono/zod-openapi";
import type { Principal } from "../auth/principal";
import type { Database } from "../db/client";
import { validationHook } from "./errors";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Database;
    principal: Principal;
    /** The tenant whose database the request works on (set with it): the usage ledger bills it its usage. */
    tenant: string;
  };
};

/** Every sub-app is built here so they all share the error envelope for validation failures. */
export function newRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
