import { rawSql } from "../db/raw";
import type { documentChunks } from "../db/schema";
import { jsonChunks } from "../engine/json-chunks";
import { isVocabularyTerm, tokens } from "./text";

/**
 * The clock keeps each tenant's vocabulary (`search_vocabulary`: the terms of its indexed chunks,
 * with how many documents hold each) from `document_chunks` in id order, up to the `chunks` mark.
 * The FTS5 index cannot serve this: it is shared by every tenant of the database, and it holds
 * Porter stems ("leav"), not words one would complete a query to.
 */
export const CHUNKS_PER_STEP = 500;
export const VOCABULARY_STEPS_PER_TICK = 4;
/** A removal batch takes documents until their terms pass this (at least one document). */
export const REMOVED_TERMS_PER_STEP = 50_000;
/** Terms counted per document, the first ones in its text: a table of numbers or ids cannot flood the vocabulary. */
export const MAX_TERMS_PER_DOCUMENT = 10_000;

export interface VocabularyReport {
  removed: number;
  chunks: number;
  more: boolean;
}

/** Removals first: chunks are counted only once no removal is pending, so a document ingested again is never counted twice. */
export async function foldVocabulary(db: D1Database): Promise<VocabularyReport> {
  const report: VocabularyReport = { removed: 0, chunks: 0, more: false };
  for (let step = 0; step < VOCABULARY_STEPS_PER_TICK; step++) {
    const removal = await takeBackRemovals(db);
    report.removed += removal.documents;
    if (removal.more) continue;
    const counted = await countChunks(db);
    report.chunks += counted;
    if (counted < CHUNKS_PER_STEP) return report;
  }
  report.more = true;
  return report;
}

/** Takes back the terms of documents whose chunks were deleted (the trigger's removal rows). */
async function takeBackRemovals(db: D1Database): Promise<{ documents: number; more: boolean }> {
  const { results } = await rawSql(db)`
    SELECT r.document_id AS documentId, coalesce(json_array_length(v.terms), 0) AS terms
    FROM search_vocabulary_removals r LEFT JOIN search_vocabulary_documents v ON v.document_id = r.document_id
    ORDER BY r.document_id LIMIT 1000`.all<{ documentId: string; terms: number }>();
  const ids: string[] = [];
  let terms = 0;
  for (const row of results) {
    if (ids.length > 0 && terms + row.terms > REMOVED_TERMS_PER_STEP) break;
    ids.push(row.documentId);
    terms += row.terms;
  }
  if (ids.length === 0) return { documents: 0, more: false };
  // The counts come from the stored terms, deleted in the same transaction: a second run takes nothing twice.
  const held = `SELECT v.tenant, t.value AS term FROM search_vocabulary_documents v, json_each(v.terms) t
    WHERE v.document_id IN (SELECT value FROM json_each(?1))`;
  await db.batch(
    [
      `UPDATE search_vocabulary SET documents = search_vocabulary.documents - e.n
       FROM (SELECT tenant, term, count(*) AS n FROM (${held}) GROUP BY tenant, term) e
       WHERE search_vocabulary.tenant = e.tenant AND search_vocabulary.term = e.term`,
      `DELETE FROM search_vocabulary WHERE documents <= 0 AND (tenant, term) IN (${held})`,
      "DELETE FROM search_vocabulary_documents WHERE document_id IN (SELECT value FROM json_each(?1))",
      "DELETE FROM search_vocabulary_removals WHERE document_id IN (SELECT value FROM json_each(?1))",
    ].map((sql) => db.prepare(sql).bind(JSON.stringify(ids))),
  );
  return { documents: ids.length, more: ids.length < results.length };
}

type ChunkRow = Pick<typeof documentChunks.$inferSelect, "id" | "documentId" | "tenant" | "text"> & { mark: number };

/** Counts the next chunks past the mark; answers how many it read. */
async function countChunks(db: D1Database): Promise<number> {
  const { results: chunks } = await rawSql(db)`
    SELECT c.id, c.document_id AS documentId, c.tenant, c.text, m.value AS mark
    FROM search_marks m JOIN document_chunks c ON c.id > m.value
    WHERE m.name = 'chunks' ORDER BY c.id LIMIT ${CHUNKS_PER_STEP}`.all<ChunkRow>();
  if (chunks.length === 0) return 0;
  const documentIds = JSON.stringify([...new Set(chunks.map((c) => c.documentId))]);
  const { results: known } = await rawSql(db)`
    SELECT document_id AS documentId, terms FROM search_vocabulary_documents
    WHERE document_id IN (SELECT value FROM json_each(${documentIds}))`.all<{ documentId: string; terms: string }>();
  const { added, documents } = newTerms(chunks, new Map(known.map((k) => [k.documentId, JSON.parse(k.terms) as string[]])));
  // Nothing is written if the mark moved, or a chunk read here has been deleted since (its document has a removal).
  const unmoved = `(SELECT value FROM search_marks WHERE name = 'chunks') = ?1
    AND NOT EXISTS (SELECT 1 FROM search_vocabulary_removals WHERE document_id IN (SELECT value FROM json_each(?2)))`;
  const mark = chunks[0]!.mark;
  const statement = (sql: string, chunk: string) => db.prepare(sql).bind(mark, documentIds, chunk);
  await db.batch([
    ...jsonChunks(added).map((chunk) =>
      statement(
        `INSERT INTO search_vocabulary (tenant, term, documents)
         SELECT j.value->>0, j.value->>1, j.value->>2 FROM jsonb_each(?3) j WHERE ${unmoved}
         ON CONFLICT (tenant, term) DO UPDATE SET documents = documents + excluded.documents`,
        chunk,
      ),
    ),
    ...jsonChunks(documents).map((chunk) =>
      statement(
        `INSERT INTO search_vocabulary_documents (document_id, tenant, terms)
         SELECT j.value->>0, j.value->>1, j.value->>2 FROM jsonb_each(?3) j WHERE ${unmoved}
         ON CONFLICT (document_id) DO UPDATE SET terms = excluded.terms`,
        chunk,
      ),
    ),
    db.prepare(`UPDATE search_marks SET value = ?3 WHERE name = 'chunks' AND ${unmoved}`).bind(mark, documentIds, chunks.at(-1)!.id),
  ]);
  return chunks.length;
}

/**
 * The terms the chunks add to their documents: [tenant, term, documents newly holding it] rows for
 * the vocabulary, and [document, tenant, every term now counted (JSON)] rows for the documents that changed.
 */
function newTerms(chunks: ChunkRow[], known: Map<string, string[]>) {
  const sets = new Map<string, { tenant: string; terms: Set<string>; changed: boolean }>();
  const added = new Map<string, number>();
  for (const chunk of chunks) {
    let doc = sets.get(chunk.documentId);
    if (!doc) sets.set(chunk.documentId, (doc = { tenant: chunk.tenant, terms: new Set(known.get(chunk.documentId)), changed: false }));
    for (const token of tokens(chunk.text)) {
      if (doc.terms.has(token) || doc.terms.size >= MAX_TERMS_PER_DOCUMENT || !isVocabularyTerm(token)) continue;
      doc.terms.add(token);
      doc.changed = true;
      const key = JSON.stringify([chunk.tenant, token]);
      added.set(key, (added.get(key) ?? 0) + 1);
    }
  }
  return {
    added: [...added].map(([key, n]) => [...(JSON.parse(key) as [string, string]), n]),
    documents: [...sets].filter(([, d]) => d.changed).map(([id, d]) => [id, d.tenant, JSON.stringify([...d.terms])]),
  };
}
