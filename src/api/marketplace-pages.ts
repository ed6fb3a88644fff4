import type { z } from "@hono/zod-openapi";
import { ftsQuery } from "../documents/search";
import { type SearchFilters, cursorAfter, isCursorFor, searchListings } from "../marketplace/search";
import { toListing } from "../marketplace/views";
import type { BrowseQuery, ListingPageSchema, Sort } from "../schemas/marketplace";
import { ApiError } from "./errors";
import { decodeCursor, pageOf } from "./pagination";

type Page = z.infer<typeof ListingPageSchema>;

/** The order a listing query asks for: relevance by default with `q` (and only with it), else newest first. */
export function sortOf(sort: Sort | undefined, q: string | undefined): Sort {
  if (sort === "relevance" && !q) throw new ApiError(400, "bad_request", "sort=relevance needs q, the words to rank by");
  return sort ?? (q ? "relevance" : "created");
}

/** The FTS5 query of what the user typed; words that leave nothing to search for are a 400. */
export function matchOf(q: string | undefined): string | undefined {
  if (q === undefined) return undefined;
  const match = ftsQuery(q);
  if (!match) throw new ApiError(400, "empty_query", "q has no words to search for");
  return match;
}

/** One page of listings as every marketplace list answers it, the cursor naming the order it was made for. */
export async function listingPage(
  env: Env,
  caller: string,
  filters: SearchFilters,
  sort: Sort,
  page: Pick<z.infer<typeof BrowseQuery>, "limit" | "cursor">,
): Promise<Page> {
  const after = page.cursor ? decodeCursor(page.cursor, isCursorFor(sort)) : undefined;
  const hits = await searchListings(env, filters, sort, page.limit, after);
  return pageOf(hits, page.limit, (hit) => toListing(hit, caller), (hit) => cursorAfter(hit, sort));
}
