// Search analytics (/search/suggest, /search/patterns, ...): every shape is the server's own zod schema, as types only.
import type {
  ClusterQueries,
  QueryClusters,
  QuerySimilarity,
  QuerySuggestions,
  RelatedSearches,
  SearchPatterns,
  SearchStatistics,
  ZeroResultPrediction,
} from "../schemas/search-analytics";
import type { Http } from "./http";

export type { ClusterQueries, QueryClusters, QuerySimilarity, QuerySuggestions, RelatedSearches, SearchPatterns, SearchStatistics, ZeroResultPrediction };

/** What the tenant's own searches (GET /search, recorded unless the `search.analytics` setting is off) tell. */
export class SearchAnalytics {
  constructor(private readonly http: Http) {}
  /** Completions of what was typed; a trailing space means its last word is complete. */
  suggest(q: string, options: { limit?: number } = {}): Promise<QuerySuggestions> {
    return this.http.json("GET", "/search/suggest", { query: { q, ...options } });
  }
  /** Trending, declining, common and zero-result queries over the last `days` days against the days before. */
  patterns(options: { days?: number; limit?: number } = {}): Promise<SearchPatterns> {
    return this.http.json("GET", "/search/patterns", { query: options });
  }
  related(q: string, options: { limit?: number } = {}): Promise<RelatedSearches> {
    return this.http.json("GET", "/search/related", { query: { q, ...options } });
  }
  similarity(a: string, b: string): Promise<QuerySimilarity> {
    return this.http.json("GET", "/search/similarity", { query: { a, b } });
  }
  cluster(body: ClusterQueries): Promise<QueryClusters> {
    return this.http.json("POST", "/search/cluster", { json: body });
  }
  predictZeroResults(q: string): Promise<ZeroResultPrediction> {
    return this.http.json("GET", "/search/predict-zero-results", { query: { q } });
  }
  statistics(): Promise<SearchStatistics> {
    return this.http.json("GET", "/search/statistics");
  }
  /** Forgets the tenant's recorded searches. */
  clearHistory(): Promise<void> {
    return this.http.json("DELETE", "/search/history");
  }
}
