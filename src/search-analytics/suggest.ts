import type { Database } from "../db/client";
import { type Corpus, corpusOf, round, similarity, split, tfidfCosine } from "./similarity";
import { type QueryCounts, normalizedOrRefuse, tenantQueries, termsStartingWith } from "./store";

export type SuggestionSource = "history" | "pattern" | "semantic";

export interface Suggestion {
  suggestion: string;
  confidence: number;
  source: SuggestionSource;
  relatedQueries: string[];
}

/**
 * What a completion from the index or by meaning weighs beside one from history: an indexed term
 * says the search would find something, not that anyone wants it; a similar past query shares
 * words with what was typed, not its start.
 */
export const PATTERN_WEIGHT = 0.5;
export const SEMANTIC_WEIGHT = 0.5;
export const RELATED_PER_SUGGESTION = 3;
const SOURCE_ORDER: Record<SuggestionSource, number> = { history: 0, pattern: 1, semantic: 2 };

/**
 * Completions of what was typed. `prefix` is its normalized form, with a trailing space when it
 * ends between words (then its last word is complete, and completions start a new one).
 * - history: retained queries that found results and start with the prefix; confidence = the
 *   query's searches that found results / those of every such query (they sum to 1);
 * - pattern: indexed terms of the tenant's documents completing the last, partial word;
 *   confidence = PATTERN_WEIGHT × the documents holding the term / those holding any such term;
 * - semantic: other retained queries that found results and share a complete word;
 *   confidence = SEMANTIC_WEIGHT × the TF-IDF cosine of those words and the query.
 * Best first (then history, pattern, semantic; then alphabetical), each suggestion once.
 */
export async function suggest(db: Database, tenant: string, typed: string, limit: number): Promise<{ query: string; suggestions: Suggestion[] }> {
  const ended = /[^\p{L}\p{N}]$/u.test(typed);
  const words = split(normalizedOrRefuse(typed));
  const prefix = words.join(" ") + (ended ? " " : "");
  const partial = ended ? undefined : words.at(-1);
  const [queries, terms] = await Promise.all([tenantQueries(db, tenant), partial ? termsStartingWith(db, tenant, partial) : []]);
  const corpus = corpusOf(queries.map((q) => q.normalized));
  const found = queries.filter((q) => q.found > 0);
  const fromHistory = found.filter((q) => q.normalized.startsWith(prefix));
  const historyTotal = fromHistory.reduce((sum, q) => sum + q.found, 0);
  const termTotal = terms.reduce((sum, t) => sum + t.documents, 0);
  const head = words.slice(0, -1);
  const complete = ended ? words : head;
  const candidates = [
    ...fromHistory.map((q) => ({ suggestion: q.normalized, source: "history" as const, confidence: q.found / historyTotal })),
    ...terms.map((t) => ({ suggestion: [...head, t.term].join(" "), source: "pattern" as const, confidence: (PATTERN_WEIGHT * t.documents) / termTotal })),
    ...semantic(corpus, found, complete, prefix),
  ];
  candidates.sort((a, b) => b.confidence - a.confidence || SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] || compare(a.suggestion, b.suggestion));
  const seen = new Set<string>();
  const best = candidates.filter((c) => !seen.has(c.suggestion) && seen.add(c.suggestion)).slice(0, limit);
  return {
    query: prefix,
    suggestions: best.map((c) => ({ ...c, confidence: round(c.confidence), relatedQueries: related(corpus, found, c.suggestion, RELATED_PER_SUGGESTION).map((r) => r.query) })),
  };
}

function semantic(corpus: Corpus, found: QueryCounts[], complete: string[], prefix: string) {
  if (complete.length === 0) return [];
  const wanted = new Set(complete);
  return found
    .filter((q) => !q.normalized.startsWith(prefix) && split(q.normalized).some((t) => wanted.has(t)))
    .map((q) => ({ suggestion: q.normalized, source: "semantic" as const, confidence: SEMANTIC_WEIGHT * tfidfCosine(corpus, complete, split(q.normalized)) }));
}

export interface RelatedQuery {
  query: string;
  similarity: number;
  searches: number;
}

/**
 * Retained queries that found results, share a word with `normalized` and are not it, by
 * combined similarity (src/search-analytics/similarity.ts), then searches, then alphabetically.
 */
export function related(corpus: Corpus, found: QueryCounts[], normalized: string, limit: number): RelatedQuery[] {
  const words = new Set(split(normalized));
  return found
    .filter((q) => q.normalized !== normalized && split(q.normalized).some((t) => words.has(t)))
    .map((q) => ({ query: q.normalized, similarity: similarity(corpus, normalized, q.normalized).combined, searches: q.searches }))
    .sort((a, b) => b.similarity - a.similarity || b.searches - a.searches || compare(a.query, b.query))
    .slice(0, limit)
    .map((r) => ({ ...r, similarity: round(r.similarity) }));
}

/** Code-unit order: the same in every runtime and locale (localeCompare is neither). */
export const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
