import { z } from "@hono/zod-openapi";
import { NonRetryableError } from "../engine/errors";
import { jsonChunks } from "../engine/json-chunks";
import { chunkText } from "../documents/chunk";
import { ExtractionError, extractText, kindOf } from "../documents/extract";
import { findDocument, setStatus, textKey } from "../documents/store";
import { uploadKey } from "../uploads/store";
import { defineJob } from "./define";

/** A document is read whole to extract its text (PDF parsing needs all of it). */
export const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;

export const DocumentIngestInput = z
  .object({
    documentId: z.string().min(1).max(64).describe("A document registered with POST /documents."),
    chunkSize: z.number().int().min(100).max(20_000).default(1_000).describe("Characters per chunk."),
    chunkOverlap: z.number().int().min(0).max(5_000).default(200).describe("Characters shared by neighbouring chunks."),
  })
  .refine((i) => i.chunkOverlap < i.chunkSize, { message: "the overlap must be smaller than the chunk size", path: ["chunkOverlap"] });

/**
 * Ingests a registered document: extracts its text (plain text, Markdown, HTML, CSV, JSON, PDF),
 * cuts it into overlapping chunks and indexes them for full-text search. Each stage is a durable
 * step and shows in the document's status.
 */
export const documentIngest = defineJob({
  type: "document.ingest",
  description: "Extracts, chunks and indexes a document for full-text search.",
  input: DocumentIngestInput,
  durable: true,
  retry: { maxAttempts: 3 },
  timeoutMs: 3_600_000,
  async run(input, ctx) {
    const doc = await findDocument(ctx.env, ctx.tenant, input.documentId);
    if (!doc) throw new NonRetryableError(`document ${input.documentId} not found`);
    try {
      await ctx.progress(5, { stage: "extract" });
      const length = await ctx.step("extract text", async () => {
        await setStatus(ctx.env, doc.id, "extracting");
        const kind = kindOf(doc.contentType, doc.name);
        if (!kind) throw new NonRetryableError(`${doc.name} (${doc.contentType}) is not a kind of document this can read`);
        if (doc.size > MAX_DOCUMENT_BYTES) throw new NonRetryableError(`documents may have ${MAX_DOCUMENT_BYTES} bytes; this one has ${doc.size}`);
        const object = await ctx.env.BUCKET.get(uploadKey(ctx.tenant, doc.uploadId));
        if (!object) throw new NonRetryableError(`the bytes of ${doc.name} are gone`);
        let text: string;
        try {
          text = await extractText(new Uint8Array(await object.arrayBuffer()), kind);
        } catch (err) {
          if (err instanceof ExtractionError) throw new NonRetryableError(err.message);
          throw err;
        }
        await ctx.env.BUCKET.put(textKey(ctx.tenant, doc.id), text, { httpMetadata: { contentType: "text/plain; charset=utf-8" } });
        return text.length;
      });
      await ctx.progress(40, { stage: "chunk", message: `${length} characters of text` });
      const chunks = await ctx.step("chunk and index", async () => {
        await setStatus(ctx.env, doc.id, "indexing", { textLength: length });
        const object = await ctx.env.BUCKET.get(textKey(ctx.tenant, doc.id));
        if (!object) throw new Error(`the extracted text of ${doc.id} is missing`);
        const pieces = chunkText(await object.text(), input.chunkSize, input.chunkOverlap);
        const rows = pieces.map((text, seq) => ({ seq, text }));
        // Ingesting again replaces the chunks; the triggers keep the full-text index in step.
        const statements = [
          ctx.env.DB.prepare("DELETE FROM document_chunks WHERE document_id = ?").bind(doc.id),
          ...jsonChunks(rows).map((chunk) =>
            ctx.env.DB.prepare(
              `INSERT INTO document_chunks (document_id, tenant, collection, seq, text)
               SELECT ?1, ?2, ?3, c.value->>'seq', c.value->>'text' FROM json_each(?4) AS c`,
            ).bind(doc.id, doc.tenant, doc.collection, chunk),
          ),
        ];
        for (let i = 0; i < statements.length; i += 50) await ctx.env.DB.batch(statements.slice(i, i + 50));
        await setStatus(ctx.env, doc.id, "completed", { chunks: pieces.length, textLength: length });
        return pieces.length;
      });
      await ctx.progress(100, { stage: "completed", message: `${chunks} chunks indexed` });
      return { documentId: doc.id, collection: doc.collection, characters: length, chunks };
    } catch (err) {
      await setStatus(ctx.env, doc.id, "failed", { error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  },
});
