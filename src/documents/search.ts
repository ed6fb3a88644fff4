import { fieldList } from "../db/columns";
import { rawSql } from "../db/raw";
import { documentChunks, documents } from "../db/schema";

/**
 * Turns what a user typed into an FTS5 query that cannot be a syntax error: each word becomes a
 * quoted term (all must match), a trailing `*` keeps prefix search, and quoted phrases stay phrases.
 */
export function ftsQuery(input: string): string | null {
  const terms: string[] = [];
  for (const match of input.matchAll(/"([^"]+)"|(\S+)/g)) {
    if (match[1]) {
      const phrase = match[1].replace(/[^\p{L}\p{N}\s]+/gu, " ").trim();
      if (phrase) terms.push(`"${phrase}"`);
      continue;
    }
    const raw = match[2]!;
    const prefix = raw.endsWith("*");
    const word = raw.replace(/[^\p{L}\p{N}]+/gu, " ").trim();
    if (!word) continue;
    for (const part of word.split(/\s+/)) terms.push(`"${part}"`);
    if (prefix) terms[terms.length - 1] += "*";
  }
  return terms.length === 0 ? null : terms.join(" ");
}

export interface SearchHit {
  documentId: string;
  documentName: string;
  collection: string;
  chunk: number;
  score: number;
  snippet: string;
}

type ChunkRow = typeof documentChunks.$inferSelect;
type DocumentName = Pick<typeof documents.$inferSelect, "name">;
/** What the search statement reads: the chunk's fields, its document's name, and the FTS5 rank and snippet. */
type HitRow = Pick<ChunkRow, "documentId" | "collection" | "seq"> & DocumentName & { score: number; snippet: string };

const HIT_FIELDS = fieldList(documentChunks, ["documentId", "collection", "seq"], "c");
const DOCUMENT_NAME = fieldList(documents, ["name"], "d");

/** Ranked chunks (BM25) of the tenant's completed documents, with highlighted snippets. */
export async function searchChunks(env: Env, tenant: string, query: string, collection: string | undefined, limit: number): Promise<SearchHit[]> {
  const { results } = await rawSql(env.DB)`
    SELECT ${HIT_FIELDS}, ${DOCUMENT_NAME},
           bm25(chunks_fts) AS score, snippet(chunks_fts, 0, '<mark>', '</mark>', '…', 16) AS snippet
    FROM chunks_fts
    JOIN document_chunks c ON c.id = chunks_fts.rowid
    JOIN documents d ON d.id = c.document_id
    WHERE chunks_fts MATCH ${query} AND c.tenant = ${tenant} AND (${collection ?? null} IS NULL OR c.collection = ${collection ?? null}) AND d.status = 'completed'
    ORDER BY score LIMIT ${limit}`.all<HitRow>();
  // bm25 is lower for better matches; callers get "higher is better".
  return results.map((r) => ({
    documentId: r.documentId,
    documentName: r.name,
    collection: r.collection,
    chunk: r.seq,
    score: -r.score,
    snippet: r.snippet,
  }));
}
