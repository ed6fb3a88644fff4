import { iso } from "../engine/job-view";
import type { VariableDeclaration } from "../reports/variables";
import type { Listing, Review } from "../schemas/marketplace";
import type { ListingRow, ReviewRow } from "./db";

/** A listing as the queries read it: its row, its publisher's display name and its latest version's variables. */
export type ListingRead = ListingRow & { author: string; variables: string };

export const listingUrl = (id: string) => `/api/v1/marketplace/templates/${id}`;

/** What any tenant sees of a listing: never the publishing tenant, only its display name. */
export function toListing(row: ListingRead, caller: string): Listing {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    tags: JSON.parse(row.tags) as string[],
    format: row.format,
    author: row.author,
    version: row.latestVersion,
    variables: JSON.parse(row.variables) as VariableDeclaration[],
    downloads: row.downloads,
    rating: { average: row.ratingCount > 0 ? row.ratingSum / row.ratingCount : null, count: row.ratingCount },
    previewUrl: row.previewSha256 ? `${listingUrl(row.id)}/preview` : null,
    mine: row.publisher === caller,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export type ReviewRead = ReviewRow & { author: string | null };

export function toReview(row: ReviewRead, caller: string): Review {
  return {
    id: row.id,
    templateId: row.templateId,
    rating: row.rating,
    comment: row.comment,
    author: row.author,
    mine: row.tenant === caller,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
