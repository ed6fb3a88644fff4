import { z } from "@hono/zod-openapi";
import { IsoTimestamp } from "./common";

const QueryText = z.string().trim().min(1).max(200);
const Score = z.number().min(0).max(1);
const IsoDay = z.string().openapi({ example: "2026-11-22" });
const Count = z.number().int().min(0);

export const SuggestQuery = z.object({
  q: z
    .string()
    .min(1)
    .max(200)
    .describe("What was typed so far. A trailing space (or other non-word character) means its last word is complete."),
  limit: z.coerce.number().int().min(1).max(20).default(5),
});

export const SuggestionSourceSchema = z.enum(["history", "pattern", "semantic"]).openapi("SuggestionSource");

export const QuerySuggestionSchema = z
  .object({
    suggestion: z.string().describe("A normalized query: lower case, words separated by single spaces."),
    confidence: Score.describe("history: its share of the matching past searches that found results; pattern and semantic: half their score (see the README)."),
    source: SuggestionSourceSchema,
    relatedQueries: z.array(z.string()).describe("Up to 3 past queries that found results and share a word with the suggestion, most similar first."),
  })
  .openapi("QuerySuggestion");

export const QuerySuggestionsSchema = z
  .object({ query: z.string().describe("The prefix completed, normalized."), suggestions: z.array(QuerySuggestionSchema) })
  .openapi("QuerySuggestions");

export const PatternsQuery = z.object({
  days: z.coerce.number().int().min(1).max(30).default(7).describe("The window: the last `days` UTC days, today included, against as many before them."),
  limit: z.coerce.number().int().min(1).max(50).default(10).describe("At most this many queries of each kind."),
});

const PatternQuerySchema = z
  .object({
    query: z.string(),
    searches: Count.describe("In the window."),
    previousSearches: Count.describe("In the window before it."),
    zeroResultSearches: Count.describe("In the window, finding nothing."),
    change: z.number().int().describe("searches − previousSearches."),
  })
  .openapi("SearchPatternQuery");

export const SearchPatternsSchema = z
  .object({
    days: z.number().int(),
    from: IsoDay,
    to: IsoDay,
    previousFrom: IsoDay.describe("The first day of the window compared against."),
    trending: z.array(PatternQuerySchema),
    declining: z.array(PatternQuerySchema),
    common: z.array(PatternQuerySchema),
    zeroResults: z.array(PatternQuerySchema),
  })
  .openapi("SearchPatterns");

export const RelatedQuery = z.object({ q: QueryText, limit: z.coerce.number().int().min(1).max(50).default(10) });

export const RelatedSearchesSchema = z
  .object({
    query: z.string(),
    normalized: z.string(),
    related: z.array(z.object({ query: z.string(), similarity: Score.describe("The combined similarity."), searches: Count })),
  })
  .openapi("RelatedSearches");

export const SimilarityQuery = z.object({ a: QueryText, b: QueryText });

export const QuerySimilaritySchema = z
  .object({
    a: z.string().describe("a, normalized."),
    b: z.string().describe("b, normalized."),
    tfidf: Score.describe("Cosine of the TF-IDF vectors, document frequencies from the tenant's past queries."),
    jaccard: Score.describe("Shared words over all words."),
    editDistance: Count.describe("Levenshtein distance of the normalized queries, in characters."),
    editSimilarity: Score.describe("1 − editDistance / the longer one's length."),
    combined: Score.describe("0.5 tfidf + 0.3 jaccard + 0.2 editSimilarity."),
  })
  .openapi("QuerySimilarity");

export const ClusterRequestSchema = z
  .object({
    queries: z.array(QueryText).min(1).max(100),
    threshold: Score.default(0.5).describe("Two queries are joined when their combined similarity reaches it."),
  })
  .strict()
  .openapi("ClusterQueriesRequest");

export const QueryClustersSchema = z
  .object({
    threshold: Score,
    clusters: z.array(
      z.object({
        representative: z.string().describe("The member most similar to the others."),
        queries: z.array(z.string()).describe("As given, in the order given."),
      }),
    ),
  })
  .openapi("QueryClusters");

export const PredictQuery = z.object({ q: QueryText });

export const ZeroResultPredictionSchema = z
  .object({
    query: z.string(),
    normalized: z.string(),
    likelihood: Score,
    basis: z.enum(["history", "vocabulary"]).describe("history: past searches of this query; vocabulary: the tenant's index."),
    searches: Count.describe("Past searches of this query (history)."),
    zeroResultSearches: Count,
    terms: z.array(z.object({ term: z.string(), chunks: Count })).describe("vocabulary: the tenant's indexed chunks holding each word (counted up to 10,000)."),
    missingTerms: z.array(z.string()),
  })
  .openapi("ZeroResultPrediction");

export const SearchStatisticsSchema = z
  .object({
    enabled: z.boolean().describe("Whether searches are being recorded (the tenant's `search.analytics` setting)."),
    retentionDays: z.number().int(),
    searches: Count,
    zeroResultSearches: Count,
    zeroResultRate: Score,
    averageResults: z.number().min(0),
    distinctQueries: Count,
    maxDistinctQueries: z.number().int().describe("Kept per tenant; the least searched are evicted beyond it."),
    foldedBefore: IsoTimestamp.nullable().describe("Searches logged before this time are counted here (the clock folds them every minute)."),
    days: z.array(z.object({ day: IsoDay, searches: Count, zeroResultSearches: Count })),
  })
  .openapi("SearchStatistics");

export type QuerySuggestions = z.infer<typeof QuerySuggestionsSchema>;
export type SearchPatterns = z.infer<typeof SearchPatternsSchema>;
export type RelatedSearches = z.infer<typeof RelatedSearchesSchema>;
export type QuerySimilarity = z.infer<typeof QuerySimilaritySchema>;
export type ClusterQueries = z.input<typeof ClusterRequestSchema>;
export type QueryClusters = z.infer<typeof QueryClustersSchema>;
export type ZeroResultPrediction = z.infer<typeof ZeroResultPredictionSchema>;
export type SearchStatistics = z.infer<typeof SearchStatisticsSchema>;
