import { and, eq, sql } from "drizzle-orm";
import { database } from "../db/client";
import { uploads } from "../db/schema";
import { QUOTA_NAMES, type QuotaName, type QuotaUse, limitOf, parseOverrides, quotaExceeded } from "./limits";
import { existingRowsQuery, usageQuery } from "./usage";

/**
 * The checks domain modules call before a write that adds to what a tenant holds. Each costs one
 * D1 round trip (the usage and the tenant's overrides together) and throws a `QuotaExceededError`
 * naming the quota when `adding` more would exceed it. Writes that race past a check by a few rows
 * are possible (D1 has no interactive transactions); the next write is refused.
 */
export async function assertRoom(env: Env, tenant: string, quota: QuotaName, adding: number): Promise<void> {
  if (adding <= 0) return;
  const row = await usageQuery(database(env), tenant, quota).get();
  const used = Number(row?.used ?? 0);
  const { limit } = limitOf(env, quota, parseOverrides(row?.overrides));
  if (used + adding > limit) throw quotaExceeded(quota, limit, used, adding);
}

/** Before rows are upserted into a dataset: only the keys it does not hold yet add rows. */
export async function assertDatasetRoom(env: Env, tenant: string, dataset: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const db = database(env);
  const [usage] = await usageQuery(db, tenant, "datasetRows");
  const used = Number(usage?.used ?? 0);
  const { limit } = limitOf(env, "datasetRows", parseOverrides(usage?.overrides));
  const distinct = new Set(keys).size;
  // Rows that fit even if every key were new need no count of the keys the dataset already holds.
  if (used + distinct <= limit) return;
  const [known] = await existingRowsQuery(db, tenant, dataset, keys);
  const adding = distinct - Number(known?.existing ?? 0);
  if (adding > 0 && used + adding > limit) throw quotaExceeded("datasetRows", limit, used, adding);
}

/**
 * Before a part of an open multipart upload is stored: counts its bytes into the upload's size
 * (the bytes received so far, until completion sets the object's size) if they fit in the quota,
 * with one conditional update. An upload that is not open is left to the caller to refuse.
 */
export async function admitUploadPart(env: Env, upload: { id: string; tenant: string }, length: number): Promise<void> {
  const db = database(env);
  const current = await usageQuery(db, upload.tenant, "uploadBytes").get();
  const { limit } = limitOf(env, "uploadBytes", parseOverrides(current?.overrides));
  const tenantBytes = db.select({ bytes: sql`coalesce(sum(${uploads.size}), 0)` }).from(uploads).where(eq(uploads.tenant, upload.tenant));
  const [admitted] = await db
    .update(uploads)
    .set({ size: sql`coalesce(${uploads.size}, 0) + ${length}` })
    .where(and(eq(uploads.id, upload.id), eq(uploads.status, "uploading"), sql`(${tenantBytes}) + ${length} <= ${limit}`))
    .returning({ id: uploads.id });
  if (admitted) return;
  const open = await db.select({ id: uploads.id }).from(uploads).where(and(eq(uploads.id, upload.id), eq(uploads.status, "uploading"))).get();
  if (open) throw quotaExceeded("uploadBytes", limit, Number((await usageQuery(db, upload.tenant, "uploadBytes").get())?.used ?? 0), length);
}

/** Every quota's limit and the tenant's use of it, in one D1 round trip. */
export async function quotaReport(env: Env, tenant: string): Promise<Record<QuotaName, QuotaUse>> {
  const db = database(env);
  const [first, ...rest] = QUOTA_NAMES.map((name) => usageQuery(db, tenant, name));
  const rows = await db.batch([first!, ...rest]);
  const overrides = parseOverrides(rows[0]?.[0]?.overrides);
  const entries = QUOTA_NAMES.map((name, i) => [name, { ...limitOf(env, name, overrides), used: Number(rows[i]?.[0]?.used ?? 0) }]);
  return Object.fromEntries(entries) as Record<QuotaName, QuotaUse>;
}
