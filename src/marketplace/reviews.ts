import { and, desc, eq, getTableColumns, lt, sql } from "drizzle-orm";
import { type Principal, holdsPlatformKey } from "../auth/principal";
import { marketplaceAuthors, marketplaceReviews, marketplaceTemplates } from "../db/schema";
import { newId } from "../engine/ids";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors";
import { displayNameOf } from "./authors";
import { marketplaceDb } from "./db";
import { getListing } from "./listings";
import type { ReviewRead } from "./views";

const mr = marketplaceReviews;

/**
 * Writes `tenant`'s review of a listing, replacing its earlier one: one upsert, whose triggers
 * (migration 0025) move the listing's rating sum and count in the same statement, so the average
 * stays exact however many reviews arrive at once. A listing unpublished meanwhile takes none.
 */
export async function review(
  env: Env,
  tenant: string,
  templateId: string,
  input: { rating: number; comment: string },
  now = Date.now(),
): Promise<{ review: ReviewRead; created: boolean }> {
  const listing = await getListing(env, templateId);
  if (listing.publisher === tenant) throw new ConflictError("own_template", "a publisher cannot review its own template");
  const id = newId("rev", now);
  const [written] = await marketplaceDb(env)
    .insert(mr)
    .select(
      sql`SELECT ${id}, ${templateId}, ${tenant}, ${input.rating}, ${input.comment}, ${now}, ${now}
          WHERE EXISTS (SELECT 1 FROM ${marketplaceTemplates} WHERE ${marketplaceTemplates.id} = ${templateId})`,
    )
    .onConflictDoUpdate({ target: [mr.templateId, mr.tenant], set: { rating: sql`excluded.rating`, comment: sql`excluded.comment`, updatedAt: now } })
    .returning();
  if (!written) throw new NotFoundError(`marketplace template ${templateId}`);
  return { review: { ...written, author: await displayNameOf(env, tenant) }, created: written.id === id };
}

/** A page of a listing's reviews, newest first, with each reviewer's display name. */
export async function listReviews(env: Env, templateId: string, limit: number, afterId?: string): Promise<ReviewRead[]> {
  await getListing(env, templateId);
  return marketplaceDb(env)
    .select({ ...getTableColumns(mr), author: marketplaceAuthors.displayName })
    .from(mr)
    .leftJoin(marketplaceAuthors, eq(marketplaceAuthors.tenant, mr.tenant))
    .where(and(eq(mr.templateId, templateId), afterId ? lt(mr.id, afterId) : undefined))
    .orderBy(desc(mr.id))
    .limit(limit + 1);
}

/** Deletes a review: its author's, or the platform admin's as moderation. The trigger takes it out of the rating. */
export async function deleteReview(env: Env, caller: Principal, id: string): Promise<void> {
  const db = marketplaceDb(env);
  const found = await db.select({ tenant: mr.tenant }).from(mr).where(eq(mr.id, id)).get();
  if (!found) throw new NotFoundError(`review ${id}`);
  if (found.tenant !== caller.tenant && !holdsPlatformKey(caller)) throw new ForbiddenError(`only the author of review ${id} may delete it`);
  await db.delete(mr).where(eq(mr.id, id)).run();
}
