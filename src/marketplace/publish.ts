import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Principal } from "../auth/principal";
import { marketplaceTemplateTags, marketplaceTemplates, marketplaceVersions } from "../db/schema";
import { newId } from "../engine/ids";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors";
import { type TemplateRow, findTemplate } from "../reports/templates";
import { MAX_LISTING_VERSIONS, type PublishTemplate, type UpdateListing } from "../schemas/marketplace";
import { displayNameOf } from "./authors";
import { type ListingRow, marketplaceDb } from "./db";
import { type PreviewImage, decodePreview, dropPreviewIfUnused, storePreview } from "./images";
import { assertMayChange, getListing } from "./listings";
import type { ListingRead } from "./views";

const mt = marketplaceTemplates;
const tagsOf = (tags: string[]) => [...new Set(tags)];

function previewColumns(image: PreviewImage | null) {
  return { previewSha256: image?.sha256 ?? null, previewType: image?.type ?? null, previewSize: image?.bytes.byteLength ?? null };
}

/** What the publish writes in one batch; every statement finds the listing by its source, so two racing first publishes make one listing. */
function publishStatements(env: Env, source: TemplateRow, input: PublishTemplate, image: PreviewImage | undefined, now: number) {
  const db = marketplaceDb(env);
  const bySource = and(eq(mt.publisher, source.tenant), eq(mt.sourceTemplateId, source.id));
  const tags = input.tags && tagsOf(input.tags);
  const first = {
    id: newId("mkt", now),
    publisher: source.tenant,
    sourceTemplateId: source.id,
    name: input.name ?? source.name,
    description: input.description === undefined ? source.description : input.description,
    tags: JSON.stringify(tags ?? []),
    format: source.format,
    latestVersion: 1,
    ...previewColumns(image ?? null),
    createdAt: now,
    updatedAt: now,
  };
  const again = {
    latestVersion: sql`${mt.latestVersion} + 1`,
    format: source.format,
    updatedAt: now,
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(tags ? { tags: first.tags } : {}),
    ...(image ? previewColumns(image) : {}),
  };
  const upsert = db
    .insert(mt)
    .values(first)
    .onConflictDoUpdate({ target: [mt.publisher, mt.sourceTemplateId], set: again, setWhere: lt(mt.latestVersion, MAX_LISTING_VERSIONS) })
    .returning();
  const content = {
    format: sql`${source.format}`.as("format"),
    variables: sql`${source.variables}`.as("variables"),
    body: sql`${source.body}`.as("body"),
    createdAt: sql`${now}`.as("created_at"),
  };
  const version = db
    .insert(marketplaceVersions)
    .select(db.select({ templateId: mt.id, version: mt.latestVersion, ...content }).from(mt).where(bySource))
    .onConflictDoNothing();
  if (!tags) return [upsert, version] as const;
  const listingId = db.select({ id: mt.id }).from(mt).where(bySource);
  const clearTags = db.delete(marketplaceTemplateTags).where(inArray(marketplaceTemplateTags.templateId, listingId));
  const addTags = db
    .insert(marketplaceTemplateTags)
    .select(sql`SELECT j.value, t.id FROM marketplace_templates t, json_each(${JSON.stringify(tags)}) j WHERE t.publisher = ${source.tenant} AND t.source_template_id = ${source.id}`);
  return [upsert, version, clearTags, addTags] as const;
}

const versionsFull = (id: string) =>
  new InvalidInputError("limit_exceeded", `marketplace template ${id} has ${MAX_LISTING_VERSIONS} versions, as many as a listing keeps`, [
    { limit: "versions", max: MAX_LISTING_VERSIONS },
  ]);

/**
 * Publishes one of `tenant`'s templates: a new listing the first time, a new version of it every
 * time after (with the metadata given replacing the listing's). The content is a snapshot: later
 * edits of the template reach the marketplace only when it is published again.
 */
export async function publish(env: Env, tenant: string, input: PublishTemplate, now = Date.now()): Promise<{ listing: ListingRead; created: boolean }> {
  const source = await findTemplate(env, tenant, input.templateId);
  if (!source) throw new NotFoundError(`template ${input.templateId}`);
  const db = marketplaceDb(env);
  const [author, previous] = await Promise.all([
    displayNameOf(env, tenant),
    db.select().from(mt).where(and(eq(mt.publisher, tenant), eq(mt.sourceTemplateId, source.id))).get(),
  ]);
  if (!author) {
    throw new ConflictError("display_name_required", 'publishing needs a display name: PUT /api/v1/settings {"marketplace":{"displayName":"…"}}');
  }
  if (previous && previous.latestVersion >= MAX_LISTING_VERSIONS) throw versionsFull(previous.id);
  const image = input.previewImage === undefined ? undefined : await decodePreview(input.previewImage);
  const [written] = await db.batch(publishStatements(env, source, input, image, now));
  const row = written[0];
  if (!row) throw versionsFull(previous?.id ?? source.id);
  await afterPreviewChange(env, previous, image);
  return { listing: { ...row, author, variables: source.variables }, created: row.latestVersion === 1 };
}

/** Stores a new preview (after the row that names it) and drops the one it replaced if nothing else shows it. */
async function afterPreviewChange(env: Env, previous: Pick<ListingRow, "previewSha256"> | undefined, image: PreviewImage | null | undefined) {
  if (image) await storePreview(env, image);
  if (image !== undefined && previous?.previewSha256 && previous.previewSha256 !== image?.sha256) {
    await dropPreviewIfUnused(env, previous.previewSha256);
  }
}

/** Changes a listing's metadata (its publisher only); `previewImage: null` removes the preview. */
export async function updateListing(env: Env, caller: Principal, id: string, changes: UpdateListing, now = Date.now()): Promise<ListingRead> {
  const listing = await getListing(env, id);
  assertMayChange(listing, caller);
  const image = typeof changes.previewImage === "string" ? await decodePreview(changes.previewImage) : changes.previewImage;
  const tags = changes.tags && tagsOf(changes.tags);
  const set = {
    updatedAt: now,
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(changes.description === undefined ? {} : { description: changes.description }),
    ...(tags ? { tags: JSON.stringify(tags) } : {}),
    ...(image === undefined ? {} : previewColumns(image)),
  };
  const db = marketplaceDb(env);
  const update = db.update(mt).set(set).where(eq(mt.id, id)).returning();
  const clearTags = db.delete(marketplaceTemplateTags).where(eq(marketplaceTemplateTags.templateId, id));
  const addTags = tags?.length ? [db.insert(marketplaceTemplateTags).values(tags.map((tag) => ({ tag, templateId: id })))] : [];
  const [updated] = await db.batch([update, ...(tags ? [clearTags, ...addTags] : [])]);
  const row = updated[0];
  if (!row) throw new NotFoundError(`marketplace template ${id}`);
  await afterPreviewChange(env, listing, image);
  return { ...row, author: listing.author, variables: listing.variables };
}
