import { rawSql } from "../db/raw";
import { database } from "../db/client";
import { round, split } from "./similarity";
import { normalizedOrRefuse, queryCounts } from "./store";

/** Words of a query looked up in the index (each one FTS5 lookup), and the most chunks counted per word. */
export const MAX_PREDICTED_TERMS = 16;
export const MAX_COUNTED_CHUNKS = 10_000;

export interface ZeroResultPrediction {
  query: string;
  normalized: string;
  likelihood: number;
  basis: "history" | "vocabulary";
  searches: number;
  zeroResultSearches: number;
  terms: { term: string; chunks: number }[];
  missingTerms: string[];
}

/**
 * The likelihood that searching `query` finds nothing.
 * - history, when the tenant searched this normalized query within the retention: the share of
 *   those searches that found nothing;
 * - vocabulary, otherwise: each word is looked up in the tenant's part of the full-text index, with
 *   search's own tokenizer and stemming (so "trips" counts the chunks holding "trip"). A search
 *   needs every word, so a word in no chunk makes it certain (1), and a single word that is in one
 *   makes it impossible (0); for several words, each in c_i of the tenant's C indexed chunks, it is
 *   the chance, were the words spread over the chunks independently, that no chunk holds them all:
 *   (1 − Π c_i / C)^C.
 */
export async function predictZeroResults(env: Pick<Env, "DB">, tenant: string, query: string): Promise<ZeroResultPrediction> {
  const normalized = normalizedOrRefuse(query);
  const seen = await queryCounts(database(env), tenant, normalized);
  if (seen && seen.searches > 0) {
    const zero = seen.searches - seen.found;
    return { query, normalized, basis: "history", likelihood: round(zero / seen.searches), searches: seen.searches, zeroResultSearches: zero, terms: [], missingTerms: [] };
  }
  const words = [...new Set(split(normalized))].slice(0, MAX_PREDICTED_TERMS);
  const sql = rawSql(env.DB);
  const [total, ...counts] = await env.DB.batch<{ n: number }>([
    sql`SELECT coalesce(sum(chunks), 0) AS n FROM documents WHERE tenant = ${tenant} AND status = 'completed'`,
    ...words.map(
      (word) => sql`
        SELECT count(*) AS n FROM (
          SELECT 1 FROM chunks_fts JOIN document_chunks c ON c.id = chunks_fts.rowid JOIN documents d ON d.id = c.document_id
          WHERE chunks_fts MATCH ${`"${word}"`} AND c.tenant = ${tenant} AND d.status = 'completed' LIMIT ${MAX_COUNTED_CHUNKS})`,
    ),
  ]);
  const chunks = total!.results[0]?.n ?? 0;
  const terms = words.map((term, i) => ({ term, chunks: counts[i]!.results[0]?.n ?? 0 }));
  const missingTerms = terms.filter((t) => t.chunks === 0).map((t) => t.term);
  return { query, normalized, basis: "vocabulary", likelihood: round(likelihood(chunks, terms)), searches: 0, zeroResultSearches: 0, terms, missingTerms };
}

function likelihood(chunks: number, terms: { chunks: number }[]): number {
  if (chunks === 0 || terms.some((t) => t.chunks === 0)) return 1;
  if (terms.length === 1) return 0;
  const all = terms.reduce((p, t) => p * Math.min(1, t.chunks / chunks), 1);
  return all >= 1 ? 0 : Math.exp(chunks * Math.log1p(-all));
}
