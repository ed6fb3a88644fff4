// The template marketplace (/marketplace): every shape is the server's own zod schema, as types only.
import type { z } from "zod";
import type {
  DownloadResultSchema,
  DownloadSchema,
  ListingDetailSchema,
  ListingSchema,
  PublishTemplateSchema,
  ReviewInputSchema,
  ReviewSchema,
  SearchQuery,
  StatisticsSchema,
  UpdateListingSchema,
} from "../schemas/marketplace";
import { type Http, paginate, segment } from "./http";

export type MarketplaceTemplate = z.infer<typeof ListingSchema>;
export type MarketplaceTemplateDetail = z.infer<typeof ListingDetailSchema>;
export type PublishMarketplaceTemplate = z.input<typeof PublishTemplateSchema>;
export type UpdateMarketplaceTemplate = z.input<typeof UpdateListingSchema>;
export type MarketplaceDownloadOptions = z.input<typeof DownloadSchema>;
export type MarketplaceDownload = z.infer<typeof DownloadResultSchema>;
export type MarketplaceReviewInput = z.input<typeof ReviewInputSchema>;
export type MarketplaceReview = z.infer<typeof ReviewSchema>;
export type MarketplaceStatistics = z.infer<typeof StatisticsSchema>;
/** Search filters and order; `limit` is the page size. */
export type MarketplaceSearch = Partial<Omit<z.infer<typeof SearchQuery>, "cursor">>;
export type MarketplaceOrder = Pick<MarketplaceSearch, "sort" | "limit">;

type Listings = AsyncGenerator<MarketplaceTemplate, void, undefined>;

/** Publish, find, download and review templates shared by every tenant. */
export class Marketplace {
  constructor(private readonly http: Http) {}
  /** A new listing of one of your templates, or a new version of its listing. Needs `settings` `marketplace.displayName`. */
  publish(body: PublishMarketplaceTemplate): Promise<MarketplaceTemplate> {
    return this.http.json("POST", "/marketplace/templates", { json: body });
  }
  /** Every listing matching, page after page: ranked by relevance with `q`, newest first without. */
  search(filters: MarketplaceSearch = {}): Listings {
    return paginate(this.http, "/marketplace/templates", filters);
  }
  get(id: string): Promise<MarketplaceTemplateDetail> {
    return this.http.json("GET", `/marketplace/templates/${segment(id)}`);
  }
  update(id: string, body: UpdateMarketplaceTemplate): Promise<MarketplaceTemplate> {
    return this.http.json("PATCH", `/marketplace/templates/${segment(id)}`, { json: body });
  }
  unpublish(id: string): Promise<void> {
    return this.http.json("DELETE", `/marketplace/templates/${segment(id)}`);
  }
  /** The preview image, as the server answers it (image/png or image/jpeg). */
  preview(id: string): Promise<Response> {
    return this.http.send("GET", `/marketplace/templates/${segment(id)}/preview`);
  }
  /** Copies a version (default: the latest) into your templates. */
  download(id: string, options: MarketplaceDownloadOptions = {}): Promise<MarketplaceDownload> {
    return this.http.json("POST", `/marketplace/templates/${segment(id)}/download`, { json: options });
  }
  /** Your review; a second one replaces the first. */
  review(id: string, body: MarketplaceReviewInput): Promise<MarketplaceReview> {
    return this.http.json("POST", `/marketplace/templates/${segment(id)}/reviews`, { json: body });
  }
  reviews(id: string, options: { limit?: number } = {}): AsyncGenerator<MarketplaceReview, void, undefined> {
    return paginate(this.http, `/marketplace/templates/${segment(id)}/reviews`, options);
  }
  deleteReview(id: string): Promise<void> {
    return this.http.json("DELETE", `/marketplace/reviews/${segment(id)}`);
  }
  popular(options: { limit?: number } = {}): Listings {
    return paginate(this.http, "/marketplace/popular", options);
  }
  topRated(options: { limit?: number } = {}): Listings {
    return paginate(this.http, "/marketplace/top-rated", options);
  }
  recent(options: { limit?: number } = {}): Listings {
    return paginate(this.http, "/marketplace/recent", options);
  }
  statistics(): Promise<MarketplaceStatistics> {
    return this.http.json("GET", "/marketplace/statistics");
  }
  /** An author's listings (an author is a tenant's display name). */
  byAuthor(author: string, options: MarketplaceOrder = {}): Listings {
    return paginate(this.http, `/marketplace/authors/${segment(author)}`, options);
  }
  byTag(tag: string, options: MarketplaceOrder = {}): Listings {
    return paginate(this.http, `/marketplace/tags/${segment(tag)}`, options);
  }
}
