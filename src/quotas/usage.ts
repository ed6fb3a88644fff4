import { and, count, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { datasetRows, datasets, documentChunks, documents, jobs, schedules, secrets, templates, tenantSettings, uploads } from "../db/schema";
import type { QuotaName } from "./limits";

/** The statuses of a job that is not finished. */
const LIVE_STATUSES = ["queued", "running", "retrying"] as const;

/** The tenant's stored overrides, read in the same statement as a usage. */
const overridesOf = (tenant: string) =>
  sql<string | null>`(SELECT ${tenantSettings.quotas} FROM ${tenantSettings} WHERE ${tenantSettings.tenant} = ${tenant})`.as("overrides");

/**
 * A count under a name of its own: D1 answers a batch's rows as objects keyed by column name, and a
 * column left unnamed (`count(*)`, or `0`, which JavaScript orders first) would be read out of place.
 */
const counted = () => count().as("used");

/**
 * One statement answering how much of a quota the tenant uses and its overrides. Each reads only
 * the tenant's rows through an index that starts with the tenant (document chunks through their
 * documents, whose chunks are indexed by document), never another tenant's.
 */
export function usageQuery(db: Database, tenant: string, quota: QuotaName) {
  const overrides = overridesOf(tenant);
  switch (quota) {
    case "schedules":
      return db.select({ used: counted(), overrides }).from(schedules).where(eq(schedules.tenant, tenant));
    case "templates":
      return db.select({ used: counted(), overrides }).from(templates).where(eq(templates.tenant, tenant));
    case "uploadBytes":
      // An open multipart upload's size is the bytes of the parts it has received so far.
      return db.select({ used: sql<number>`coalesce(sum(${uploads.size}), 0)`.as("used"), overrides }).from(uploads).where(eq(uploads.tenant, tenant));
    case "datasetRows":
      // Each dataset counts its rows (datasets.row_count): the tenant's few datasets are read, not its rows.
      return db
        .select({ used: sql<number>`coalesce(sum(${datasets.rowCount}), 0)`.as("used"), overrides })
        .from(datasets)
        .where(eq(datasets.tenant, tenant));
    case "documentChunks":
      return db
        .select({ used: counted(), overrides })
        .from(documents)
        .innerJoin(documentChunks, eq(documentChunks.documentId, documents.id))
        .where(eq(documents.tenant, tenant));
    case "liveJobs":
      return liveJobsQuery(db, tenant);
    case "secrets":
      return db.select({ used: counted(), overrides }).from(secrets).where(eq(secrets.tenant, tenant));
  }
}

/** The tenant's live jobs and its overrides. Submits apply the same count inside their inserts (src/engine/store/insert.ts). */
export function liveJobsQuery(db: Database, tenant: string) {
  return db
    .select({ used: counted(), overrides: overridesOf(tenant) })
    .from(jobs)
    .where(and(eq(jobs.tenant, tenant), inArray(jobs.status, [...LIVE_STATUSES])));
}

/** How many of `keys` the dataset already holds: importing them again replaces rows and adds none. */
export function existingRowsQuery(db: Database, tenant: string, dataset: string, keys: string[]) {
  return db
    .select({ existing: count().as("existing") })
    .from(datasetRows)
    .where(
      and(
        eq(datasetRows.tenant, tenant),
        eq(datasetRows.dataset, dataset),
        inArray(datasetRows.key, sql`(SELECT value FROM json_each(${JSON.stringify(keys)}))`),
      ),
    );
}
