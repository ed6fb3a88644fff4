import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { database } from "../db/client";
import { documentChunks } from "../db/schema";
import { NonRetryableError } from "../engine/errors";
import { jsonChunks } from "../engine/json-chunks";
import { Chunker, MAX_CHUNKS_PER_DOCUMENT, OVERLAP_RULE, chunkOptionFields, overlapAllowed } from "../documents/chunk";
import { ExtractionError, SegmentWriter, extractStored, kindOf } from "../documents/extract";
import { type DocumentRow, findDocument, segmentKey, setStatus } from "../documents/store";
import { uploadKey } from "../uploads/store";
import { assertRoom } from "../quotas/check";
import { defineJob } from "./define";

/** JSON and PDF documents are parsed whole (the other kinds are read in pieces). */
export const MAX_WHOLE_DOCUMENT_BYTES = 50 * 1024 * 1024;

export const DocumentIngestInput = z
  .object({
    documentId: z.string().min(1).max(64).describe("A document registered with POST /documents."),
    ...chunkOptionFields,
  })
  .refine(overlapAllowed, { message: OVERLAP_RULE, path: ["chunkOverlap"] });

const DocumentIngestResult = z.object({
  documentId: z.string(),
  collection: z.string(),
  characters: z.number().int().describe("The length of the extracted text."),
  chunks: z.number().int().describe("The chunks indexed."),
});

/**
 * Cuts a document's extracted text (`segments` objects in R2) into chunks and indexes them, at most
 * `MAX_CHUNKS_PER_DOCUMENT`; a document that would have more fails, keeping none. Returns how many.
 */
async function indexChunks(env: Env, doc: DocumentRow, segments: number, input: z.output<typeof DocumentIngestInput>): Promise<number> {
  const db = database(env);
  // Ingesting again replaces the chunks; the triggers keep the full-text index in step.
  await db.delete(documentChunks).where(eq(documentChunks.documentId, doc.id));
  const chunker = new Chunker(input.chunkSize, input.chunkOverlap);
  let seq = 0;
  const store = async (pieces: string[]) => {
    if (seq + pieces.length > MAX_CHUNKS_PER_DOCUMENT) {
      throw new NonRetryableError(
        `the document's text makes more than ${MAX_CHUNKS_PER_DOCUMENT} chunks of ${input.chunkSize} characters, the most one document may have`,
      );
    }
    await assertRoom(env, doc.tenant, "documentChunks", pieces.length);
    const rows = pieces.map((text) => ({ seq: seq++, text }));
    const statements = jsonChunks(rows).map((chunk) =>
      env.DB.prepare(
        `INSERT INTO document_chunks (document_id, tenant, collection, seq, text)
         SELECT ?1, ?2, ?3, c.value->>'seq', c.value->>'text' FROM json_each(?4) AS c`,
      ).bind(doc.id, doc.tenant, doc.collection, chunk),
    );
    for (let i = 0; i < statements.length; i += 50) await env.DB.batch(statements.slice(i, i + 50));
  };
  try {
    for (let index = 0; index < segments; index++) {
      const object = await env.BUCKET.get(segmentKey(doc.tenant, doc.id, index));
      if (!object) throw new Error(`segment ${index} of ${doc.id}'s text is missing`);
      await store(chunker.push(await object.text()));
    }
    await store(chunker.finish());
    return seq;
  } catch (err) {
    // A document indexed in part keeps none of its chunks (a retry starts afresh in any case).
    await db.delete(documentChunks).where(eq(documentChunks.documentId, doc.id));
    await setStatus(env, doc.id, "indexing", { chunks: 0 });
    throw err;
  }
}

/**
 * Ingests a registered document: extracts its text (plain text, Markdown, HTML, CSV, JSON, PDF),
 * cuts it into overlapping chunks and indexes them for full-text search. Each stage is a durable
 * step and shows in the document's status.
 */
export const documentIngest = defineJob({
  type: "document.ingest",
  description: "Extracts, chunks and indexes a document for full-text search.",
  input: DocumentIngestInput,
  result: DocumentIngestResult,
  durable: true,
  retry: { maxAttempts: 3 },
  timeoutMs: 3_600_000,
  async run(input, ctx) {
    const doc = await findDocument(ctx.env, ctx.tenant, input.documentId);
    if (!doc) throw new NonRetryableError(`document ${input.documentId} not found`);
    try {
      await ctx.progress(5, { stage: "extract" });
      const extracted = await ctx.step("extract text", async () => {
        await setStatus(ctx.env, doc.id, "extracting");
        const kind = kindOf(doc.contentType, doc.name);
        if (!kind) throw new NonRetryableError(`${doc.name} (${doc.contentType}) is not a kind of document this can read`);
        if ((kind === "json" || kind === "pdf") && doc.size > MAX_WHOLE_DOCUMENT_BYTES) {
          throw new NonRetryableError(`${kind} documents are parsed whole and may have ${MAX_WHOLE_DOCUMENT_BYTES} bytes; this one has ${doc.size}`);
        }
        const writer = new SegmentWriter((index, text) => ctx.env.BUCKET.put(segmentKey(ctx.tenant, doc.id, index), text).then(() => undefined));
        try {
          await extractStored(ctx.env.BUCKET, uploadKey(ctx.tenant, doc.uploadId), doc.size, kind, writer);
        } catch (err) {
          if (err instanceof ExtractionError) throw new NonRetryableError(err.message);
          throw err;
        }
        return { segments: writer.segments, length: writer.length };
      });
      const length = extracted.length;
      await ctx.progress(40, { stage: "chunk", message: `${length} characters of text` });
      const chunks = await ctx.step("chunk and index", async () => {
        await setStatus(ctx.env, doc.id, "indexing", { textLength: length });
        const count = await indexChunks(ctx.env, doc, extracted.segments, input);
        await setStatus(ctx.env, doc.id, "completed", { chunks: count, textLength: length });
        return count;
      });
      await ctx.progress(100, { stage: "completed", message: `${chunks} chunks indexed` });
      return { documentId: doc.id, collection: doc.collection, characters: length, chunks };
    } catch (err) {
      await setStatus(ctx.env, doc.id, "failed", { error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  },
});
