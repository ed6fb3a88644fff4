import { and, desc, eq, getTableColumns } from "drizzle-orm";
import { holdsPlatformKey, type Principal } from "../auth/principal";
import {
  marketplaceAuthors,
  marketplaceDownloads,
  marketplaceReviews,
  marketplaceTemplateTags,
  marketplaceTemplates,
  marketplaceVersions,
} from "../db/schema";
import { ForbiddenError, NotFoundError } from "../errors";
import { type VersionRow, marketplaceDb } from "./db";
import { dropPreviewIfUnused } from "./images";
import type { ListingRead } from "./views";

/** A listing with its author and its latest version's variables, or null. */
export async function findListing(env: Env, id: string): Promise<ListingRead | null> {
  const row = await marketplaceDb(env)
    .select({ ...getTableColumns(marketplaceTemplates), author: marketplaceAuthors.displayName, variables: marketplaceVersions.variables })
    .from(marketplaceTemplates)
    .innerJoin(marketplaceAuthors, eq(marketplaceAuthors.tenant, marketplaceTemplates.publisher))
    .innerJoin(
      marketplaceVersions,
      and(eq(marketplaceVersions.templateId, marketplaceTemplates.id), eq(marketplaceVersions.version, marketplaceTemplates.latestVersion)),
    )
    .where(eq(marketplaceTemplates.id, id))
    .get();
  return row ?? null;
}

export async function getListing(env: Env, id: string): Promise<ListingRead> {
  const row = await findListing(env, id);
  if (!row) throw new NotFoundError(`marketplace template ${id}`);
  return row;
}

/** One version's content; the latest when `version` is not given. */
export async function getVersion(env: Env, listing: Pick<ListingRead, "id" | "latestVersion">, version = listing.latestVersion): Promise<VersionRow> {
  const row = await marketplaceDb(env)
    .select()
    .from(marketplaceVersions)
    .where(and(eq(marketplaceVersions.templateId, listing.id), eq(marketplaceVersions.version, version)))
    .get();
  if (!row) throw new NotFoundError(`version ${version} of marketplace template ${listing.id}`);
  return row;
}

/** Every version's number, format and time, newest first (a listing keeps at most MAX_LISTING_VERSIONS). */
export function listVersions(env: Env, id: string) {
  return marketplaceDb(env)
    .select({ version: marketplaceVersions.version, format: marketplaceVersions.format, createdAt: marketplaceVersions.createdAt })
    .from(marketplaceVersions)
    .where(eq(marketplaceVersions.templateId, id))
    .orderBy(desc(marketplaceVersions.version));
}

/** A listing with its latest version's body and every version. */
export async function listingDetail(env: Env, id: string) {
  const listing = await getListing(env, id);
  const [latest, versions] = await Promise.all([getVersion(env, listing), listVersions(env, id)]);
  return { listing, body: latest.body, versions };
}

/** Its publisher changes a listing; the platform admin may also take it down (`moderate`). */
export function assertMayChange(listing: Pick<ListingRead, "id" | "publisher">, caller: Principal, moderate = false): void {
  if (listing.publisher === caller.tenant || (moderate && holdsPlatformKey(caller))) return;
  throw new ForbiddenError(`only the publisher of marketplace template ${listing.id} may change it${moderate ? " (or the platform admin remove it)" : ""}`);
}

/**
 * Unpublishes a listing with its versions, tags, reviews and download records in one batch; the
 * listing row goes first, so the review triggers that fire after it find nothing to update.
 * Copies tenants downloaded stay theirs.
 */
export async function unpublish(env: Env, id: string, caller: Principal): Promise<void> {
  const listing = await getListing(env, id);
  assertMayChange(listing, caller, true);
  const db = marketplaceDb(env);
  await db.batch([
    db.delete(marketplaceTemplates).where(eq(marketplaceTemplates.id, id)),
    db.delete(marketplaceVersions).where(eq(marketplaceVersions.templateId, id)),
    db.delete(marketplaceTemplateTags).where(eq(marketplaceTemplateTags.templateId, id)),
    db.delete(marketplaceReviews).where(eq(marketplaceReviews.templateId, id)),
    db.delete(marketplaceDownloads).where(eq(marketplaceDownloads.templateId, id)),
  ]);
  await dropPreviewIfUnused(env, listing.previewSha256);
}
