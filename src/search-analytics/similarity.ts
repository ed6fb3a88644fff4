/**
 * Query similarity, over normalized queries (src/search-analytics/text.ts). Every score is in [0, 1]:
 * - tfidf: cosine of the queries' TF-IDF vectors, tf the token's count in the query and
 *   idf(t) = ln((1 + N) / (1 + df(t))) + 1, N the tenant's distinct retained queries and df(t) how
 *   many of them hold t (the smoothed idf: a token no query had weighs most, and never 0);
 * - jaccard: |A ∩ B| / |A ∪ B| over the two token sets;
 * - edit: 1 − levenshtein(a, b) / max(|a|, |b|), over code points;
 * - combined: 0.5 tfidf + 0.3 jaccard + 0.2 edit (meaning first, then shared words, then spelling).
 */
export const WEIGHTS = { tfidf: 0.5, jaccard: 0.3, edit: 0.2 } as const;

/** The document frequencies a tenant's query aggregates give: N queries, df per token. */
export interface Corpus {
  queries: number;
  df: ReadonlyMap<string, number>;
}

export function corpusOf(normalized: readonly string[]): Corpus {
  const df = new Map<string, number>();
  for (const query of normalized) for (const token of new Set(split(query))) df.set(token, (df.get(token) ?? 0) + 1);
  return { queries: normalized.length, df };
}

export const split = (normalized: string) => (normalized ? normalized.split(" ") : []);

export const idf = (corpus: Corpus, token: string) => Math.log((1 + corpus.queries) / (1 + (corpus.df.get(token) ?? 0))) + 1;

function vector(corpus: Corpus, tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  for (const [token, tf] of counts) counts.set(token, tf * idf(corpus, token));
  return counts;
}

export function tfidfCosine(corpus: Corpus, a: readonly string[], b: readonly string[]): number {
  const va = vector(corpus, a);
  const vb = vector(corpus, b);
  let dot = 0;
  for (const [token, weight] of va) dot += weight * (vb.get(token) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((sum, w) => sum + w * w, 0));
  const denominator = norm(va) * norm(vb);
  // Rounding can take the cosine of equal vectors a hair past 1.
  return denominator === 0 ? 0 : Math.min(1, dot / denominator);
}

export function jaccard(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  const union = new Set([...sa, ...sb]).size;
  if (union === 0) return 0;
  let shared = 0;
  for (const token of sa) if (sb.has(token)) shared += 1;
  return shared / union;
}

/** The Levenshtein distance (insertions, deletions and substitutions of code points), in two rows. */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  let current = new Array<number>(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    current[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const substitution = previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[y.length]!;
}

export interface Similarity {
  tfidf: number;
  jaccard: number;
  editDistance: number;
  edit: number;
  combined: number;
}

export function similarity(corpus: Corpus, a: string, b: string): Similarity {
  const ta = split(a);
  const tb = split(b);
  const editDistance = levenshtein(a, b);
  const longest = Math.max([...a].length, [...b].length);
  const scores = { tfidf: tfidfCosine(corpus, ta, tb), jaccard: jaccard(ta, tb), edit: longest === 0 ? 1 : 1 - editDistance / longest };
  const combined = WEIGHTS.tfidf * scores.tfidf + WEIGHTS.jaccard * scores.jaccard + WEIGHTS.edit * scores.edit;
  return { ...scores, editDistance, combined };
}

/** Scores as answers show them: four decimals, so that equal inputs always print equal answers. */
export const round = (score: number) => Math.round(score * 10_000) / 10_000;
