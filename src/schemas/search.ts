import { z } from "@hono/zod-openapi";
import { CollectionName } from "./document";

export const SearchQuery = z.object({
  q: z.string().trim().min(1).max(500),
  collection: CollectionName.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

export const SearchHitSchema = z
  .object({
    documentId: z.string(),
    documentName: z.string(),
    collection: z.string(),
    chunk: z.number().int(),
    score: z.number(),
    snippet: z.string().describe("The chunk's text around the match, the matched words between `<mark>` and `</mark>`."),
  })
  .openapi("SearchHit");

export const SearchResultSchema = z.object({ query: z.string(), items: z.array(SearchHitSchema) }).openapi("SearchResult");
export type SearchHit = z.infer<typeof SearchHitSchema>;
export type SearchResult = z.infer<typeof SearchResultSchema>;
