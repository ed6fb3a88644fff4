import { createRoute } from "@hono/zod-openapi";
import { cluster } from "../../search-analytics/cluster";
import { searchPatterns } from "../../search-analytics/patterns";
import { predictZeroResults } from "../../search-analytics/predict";
import { corpusOf, round, similarity } from "../../search-analytics/similarity";
import { searchStatistics } from "../../search-analytics/statistics";
import { clearHistory, normalizedOrRefuse, tenantQueries } from "../../search-analytics/store";
import { related, suggest } from "../../search-analytics/suggest";
import { errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import {
  ClusterRequestSchema,
  PatternsQuery,
  PredictQuery,
  QueryClustersSchema,
  QuerySimilaritySchema,
  QuerySuggestionsSchema,
  RelatedQuery,
  RelatedSearchesSchema,
  SearchPatternsSchema,
  SearchStatisticsSchema,
  SimilarityQuery,
  SuggestQuery,
  ZeroResultPredictionSchema,
} from "../../schemas/search-analytics";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";

const tags = ["search analytics"];
const read = requireScope("jobs:read");
// Every query these take must have a word: 400 `empty_query` otherwise (400 is declared for every route).

const suggestRoute = createRoute({
  method: "get", path: "/suggest", operationId: "suggestSearchQueries", tags, middleware: read,
  summary: "Complete a query from the tenant's past searches that found results and from its indexed terms",
  request: { query: SuggestQuery },
  responses: { 200: jsonContent(QuerySuggestionsSchema, "Suggestions, best first"), ...errorResponses(400) },
});

const patternsRoute = createRoute({
  method: "get", path: "/patterns", operationId: "getSearchPatterns", tags, middleware: read,
  summary: "Trending, declining, common and zero-result queries over a window of days",
  request: { query: PatternsQuery },
  responses: { 200: jsonContent(SearchPatternsSchema, "The patterns"), ...errorResponses(400) },
});

const relatedRoute = createRoute({
  method: "get", path: "/related", operationId: "getRelatedSearches", tags, middleware: read,
  summary: "Past queries that found results and share words with this one, most similar first",
  request: { query: RelatedQuery },
  responses: { 200: jsonContent(RelatedSearchesSchema, "Related searches"), ...errorResponses(400) },
});

const similarityRoute = createRoute({
  method: "get", path: "/similarity", operationId: "getQuerySimilarity", tags, middleware: read,
  summary: "How similar two queries are: TF-IDF cosine, Jaccard, edit distance and their combined score",
  request: { query: SimilarityQuery },
  responses: { 200: jsonContent(QuerySimilaritySchema, "The scores"), ...errorResponses(400) },
});

const clusterRoute = createRoute({
  method: "post", path: "/cluster", operationId: "clusterSearchQueries", tags, middleware: read,
  summary: "Group queries whose combined similarity reaches a threshold (union-find: transitively)",
  request: jsonBody(ClusterRequestSchema),
  responses: { 200: jsonContent(QueryClustersSchema, "The clusters, largest first"), ...errorResponses(400, 413) },
});

const predictRoute = createRoute({
  method: "get", path: "/predict-zero-results", operationId: "predictZeroResults", tags, middleware: read,
  summary: "The likelihood that a query finds nothing, from its past searches or else from the tenant's index",
  request: { query: PredictQuery },
  responses: { 200: jsonContent(ZeroResultPredictionSchema, "The prediction"), ...errorResponses(400) },
});

const statisticsRoute = createRoute({
  method: "get", path: "/statistics", operationId: "getSearchStatistics", tags, middleware: read,
  summary: "The tenant's retained searches: totals, zero-result rate, distinct queries, per day",
  responses: { 200: jsonContent(SearchStatisticsSchema, "The statistics"), ...errorResponses(400) },
});

const clearRoute = createRoute({
  method: "delete", path: "/history", operationId: "clearSearchHistory", tags, middleware: requireScope("jobs:write"),
  summary: "Forget the tenant's searches: the aggregates at once, the log within a few minutes",
  responses: { 204: { description: "Cleared" }, ...errorResponses(400) },
});

/** Search analytics over the tenant's own searches and index (src/search-analytics/), mounted at /api/v1/search. */
export const searchAnalyticsApi = newRouter()
  .openapi(suggestRoute, async (c) => {
    const { q, limit } = c.req.valid("query");
    return c.json(await suggest(c.get("db"), c.get("principal").tenant, q, limit), 200);
  })
  .openapi(patternsRoute, async (c) => {
    const { days, limit } = c.req.valid("query");
    return c.json(await searchPatterns(c.get("db"), c.get("principal").tenant, days, limit, Date.now()), 200);
  })
  .openapi(relatedRoute, async (c) => {
    const { q, limit } = c.req.valid("query");
    const normalized = normalizedOrRefuse(q);
    const queries = await tenantQueries(c.get("db"), c.get("principal").tenant);
    const corpus = corpusOf(queries.map((r) => r.normalized));
    const found = queries.filter((r) => r.found > 0);
    return c.json({ query: q, normalized, related: related(corpus, found, normalized, limit) }, 200);
  })
  .openapi(similarityRoute, async (c) => {
    const { a, b } = c.req.valid("query");
    const [na, nb] = [normalizedOrRefuse(a, "a"), normalizedOrRefuse(b, "b")];
    const corpus = corpusOf((await tenantQueries(c.get("db"), c.get("principal").tenant)).map((r) => r.normalized));
    const s = similarity(corpus, na, nb);
    return c.json({ a: na, b: nb, tfidf: round(s.tfidf), jaccard: round(s.jaccard), editDistance: s.editDistance, editSimilarity: round(s.edit), combined: round(s.combined) }, 200);
  })
  .openapi(clusterRoute, async (c) => {
    const { queries, threshold } = c.req.valid("json");
    const normalized = queries.map((q, i) => normalizedOrRefuse(q, `queries[${i}]`));
    const corpus = corpusOf((await tenantQueries(c.get("db"), c.get("principal").tenant)).map((r) => r.normalized));
    const clusters = cluster(corpus, normalized, threshold).map((k) => ({ representative: queries[k.representative]!, queries: k.members.map((i) => queries[i]!) }));
    return c.json({ threshold, clusters }, 200);
  })
  .openapi(predictRoute, async (c) => {
    return c.json(await predictZeroResults(c.env, c.get("principal").tenant, c.req.valid("query").q), 200);
  })
  .openapi(statisticsRoute, async (c) => c.json(await searchStatistics(c.get("db"), c.get("principal").tenant), 200))
  .openapi(clearRoute, async (c) => {
    await clearHistory(c.get("db"), c.get("principal").tenant, Date.now());
    return c.body(null, 204);
  });
