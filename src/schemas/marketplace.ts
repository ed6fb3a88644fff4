import { z } from "@hono/zod-openapi";
import { VariableDeclarationSchema } from "../reports/variables";
import { IsoTimestamp, PageQuery, listOf, nullable } from "./common";
import { ReportFormatSchema, TemplateSchema } from "./template";

/** The largest preview image, decoded. */
export const MAX_PREVIEW_BYTES = 1024 * 1024;
/** Versions a listing keeps: publishing past them is refused. */
export const MAX_LISTING_VERSIONS = 100;

export const SORTS = ["relevance", "downloads", "rating", "created", "updated", "name"] as const;
export type Sort = (typeof SORTS)[number];

export const DisplayName = z
  .string()
  .trim()
  .min(2)
  .max(50)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._'&-]*$/u, "letters, digits, spaces and . _ ' & -, starting with a letter or digit")
  .describe("The tenant's public name in the marketplace, unique across tenants (compared ignoring case).");

export const Tag = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}._-]*$/u, "letters, digits and . _ -, starting with a letter or digit");

const tags = z.array(Tag).max(20).describe("At most 20, kept in lower case; repeats are dropped.");
const name = z.string().trim().min(1).max(200);
const description = z.string().max(2_000).nullable();
// 1 MiB in base64 is 1,398,104 characters; the exact size and the kind are checked once decoded.
const previewImage = z.base64().max(1_398_104).describe("A PNG or JPEG of at most 1 MiB, base64-encoded.");

export const PublishTemplateSchema = z
  .object({
    templateId: z.string().min(1).max(64).describe("One of your templates (GET /templates)."),
    name: name.optional().describe("Default: the template's name (on a first publish), or the listing's."),
    description: description.optional(),
    tags: tags.optional(),
    previewImage: previewImage.optional(),
  })
  .openapi("PublishTemplate");
export type PublishTemplate = z.infer<typeof PublishTemplateSchema>;

export const UpdateListingSchema = z
  .object({ name: name.optional(), description: description.optional(), tags: tags.optional(), previewImage: nullable(previewImage).optional() })
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change")
  .openapi("UpdateMarketplaceTemplate");
export type UpdateListing = z.infer<typeof UpdateListingSchema>;

export const RatingSchema = z
  .object({
    average: z.number().nullable().describe("The exact mean of the reviews' stars; null while there are none."),
    count: z.number().int(),
  })
  .openapi("MarketplaceRating");

export const ListingSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    format: ReportFormatSchema,
    author: z.string().describe("The publisher's display name."),
    version: z.number().int().describe("The latest version."),
    variables: z.array(VariableDeclarationSchema).describe("The latest version's declared variables."),
    downloads: z.number().int().describe("Tenants that downloaded it, each counted once."),
    rating: RatingSchema,
    previewUrl: z.string().nullable(),
    mine: z.boolean().describe("Whether the caller published it."),
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
  })
  .openapi("MarketplaceTemplate");
export type Listing = z.infer<typeof ListingSchema>;

export const ListingVersionSchema = z
  .object({ version: z.number().int(), format: ReportFormatSchema, createdAt: IsoTimestamp })
  .openapi("MarketplaceTemplateVersion");

export const ListingDetailSchema = ListingSchema.extend({
  body: z.string().describe("The latest version's Liquid body."),
  versions: z.array(ListingVersionSchema).describe("Every version, newest first."),
}).openapi("MarketplaceTemplateDetail");

export const ListingPageSchema = listOf(ListingSchema, "MarketplaceTemplateList");

export const BrowseQuery = PageQuery.extend({
  sort: z.enum(SORTS).optional().describe("Default: relevance with `q`, else created (newest first). relevance needs `q`."),
});

export const SearchQuery = BrowseQuery.extend({
  q: z.string().trim().min(1).max(200).optional().describe("Words to find in name, description and tags (all must match; `word*` for a prefix)."),
  format: ReportFormatSchema.optional(),
  tag: Tag.optional(),
  author: DisplayName.optional(),
});

export const DownloadSchema = z
  .object({
    version: z.number().int().min(1).optional().describe("Default: the latest."),
    name: name.optional().describe("The name of your copy; default: the listing's."),
  })
  .openapi("DownloadMarketplaceTemplate");

export const DownloadResultSchema = z
  .object({
    template: TemplateSchema.describe("Your new template."),
    marketplaceId: z.string(),
    version: z.number().int(),
    firstDownload: z.boolean().describe("Whether this was your tenant's first download of it (the one counted)."),
  })
  .openapi("MarketplaceDownload");

export const ReviewInputSchema = z
  .object({ rating: z.number().int().min(1).max(5), comment: z.string().trim().max(2_000).default("") })
  .openapi("MarketplaceReviewInput");

export const ReviewSchema = z
  .object({
    id: z.string(),
    templateId: z.string(),
    rating: z.number().int(),
    comment: z.string(),
    author: z.string().nullable().describe("The reviewer's display name; null if it has none."),
    mine: z.boolean(),
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
  })
  .openapi("MarketplaceReview");
export type Review = z.infer<typeof ReviewSchema>;

export const ReviewPageSchema = listOf(ReviewSchema, "MarketplaceReviewList");

export const StatisticsSchema = z
  .object({
    templates: z.number().int(),
    authors: z.number().int(),
    downloads: z.number().int(),
    reviews: z.number().int(),
    averageRating: z.number().nullable().describe("The mean of every review's stars."),
    formats: z.record(z.string(), z.number().int()).describe("Listings per format."),
    topTags: z.array(z.object({ tag: z.string(), templates: z.number().int() })).describe("The 10 tags on most listings."),
  })
  .openapi("MarketplaceStatistics");
export type Statistics = z.infer<typeof StatisticsSchema>;

export const MarketplaceSettingsSchema = z.object({ displayName: z.string().nullable().describe("Your marketplace author name; null until set.") });
export const MarketplaceSettingsUpdateSchema = z
  .object({ displayName: DisplayName.describe("Needs the reports:write scope. It can be changed, not removed: the marketplace names every publisher.") })
  .strict();
