import { database } from "../db/client";
import { marketplaceDownloads, templates } from "../db/schema";
import { newId } from "../engine/ids";
import { ConflictError } from "../errors";
import { assertRoom } from "../quotas/check";
import type { TemplateRow } from "../reports/templates";
import { violates } from "./authors";
import { marketplaceDb } from "./db";
import { getListing, getVersion } from "./listings";

export interface Downloaded {
  template: TemplateRow;
  version: number;
  firstDownload: boolean;
}

/**
 * Copies a version of a listing into `tenant`'s own templates (its shard: `env.DB`), then records
 * the download in the platform database; only a tenant's first download inserts a row, and the
 * row's trigger counts it. The two databases are not one transaction: a copy whose record then
 * fails is still the tenant's, and downloading again counts it.
 */
export async function download(env: Env, tenant: string, id: string, options: { version?: number; name?: string }, now = Date.now()): Promise<Downloaded> {
  const listing = await getListing(env, id);
  const version = await getVersion(env, listing, options.version);
  const copy: TemplateRow = {
    id: newId("tpl", now),
    tenant,
    name: options.name ?? listing.name,
    description: listing.description,
    format: version.format,
    variables: version.variables,
    body: version.body,
    createdAt: now,
    updatedAt: now,
  };
  await assertRoom(env, tenant, "templates", 1);
  try {
    await database(env).insert(templates).values(copy).run();
  } catch (err) {
    if (violates(err, "templates.tenant, templates.name")) {
      throw new ConflictError("name_taken", `a template named "${copy.name}" already exists: give the copy another name`);
    }
    throw err;
  }
  const recorded = await marketplaceDb(env)
    .insert(marketplaceDownloads)
    .values({ templateId: id, tenant, version: version.version, downloadedAt: now })
    .onConflictDoNothing()
    .returning({ tenant: marketplaceDownloads.tenant });
  return { template: copy, version: version.version, firstDownload: recorded.length > 0 };
}
