import { z } from "@hono/zod-openapi";
import { SCOPES } from "../auth/principal";
import { TenantName } from "./common";

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tenant: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    prefix: z.string().describe("the key's type and last characters (`ejk_…a1B2c3`), to recognise it"),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({ key: z.string().describe("shown once; only its hash is stored") }).openapi("CreatedApiKey");

export const CreateApiKeySchema = z
  .object({
    name: z.string().min(1).max(100),
    tenant: TenantName,
    scopes: z.array(z.enum(SCOPES)).min(1).default(["jobs:read", "jobs:write"]),
  })
  .strict()
  .openapi("CreateApiKey");

export const ListKeysQuery = z.object({ tenant: z.string().max(63).optional(), includeRevoked: z.enum(["true", "false"]).default("false") });
export const ApiKeyListSchema = z.object({ items: z.array(ApiKeySchema) });
