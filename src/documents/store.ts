import { and, eq, notExists, sql } from "drizzle-orm";
import { database } from "../db/client";
import { documentChunks, documents, uploads } from "../db/schema";
import { iso } from "../engine/job-view";
import { uploadKey } from "../uploads/store";

/** A document as drizzle reads it from the `documents` table (`metadata` is JSON text). */
export type DocumentRow = typeof documents.$inferSelect;
export type DocumentStatus = DocumentRow["status"];

/** Where a document's extracted text is kept, a segment per object. */
export function textPrefix(tenant: string, id: string): string {
  return `documents/${tenant}/${id}/`;
}

export function segmentKey(tenant: string, id: string, index: number): string {
  return `${textPrefix(tenant, id)}${String(index).padStart(6, "0")}.txt`;
}

export function toDocument(row: DocumentRow) {
  return {
    id: row.id,
    collection: row.collection,
    name: row.name,
    uploadId: row.uploadId,
    contentType: row.contentType,
    size: row.size,
    status: row.status,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    chunks: row.chunks,
    textLength: row.textLength,
    error: row.error,
    jobId: row.jobId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export async function findDocument(env: Env, tenant: string, id: string): Promise<DocumentRow | null> {
  const row = await database(env).select().from(documents).where(and(eq(documents.id, id), eq(documents.tenant, tenant))).get();
  return row ?? null;
}

export async function setStatus(env: Env, id: string, status: DocumentStatus, extra: { error?: string | null; chunks?: number; textLength?: number } = {}) {
  await database(env)
    .update(documents)
    .set({
      status,
      error: extra.error ?? null,
      // Counts not given keep what the row has.
      ...(extra.chunks == null ? {} : { chunks: extra.chunks }),
      ...(extra.textLength == null ? {} : { textLength: extra.textLength }),
      updatedAt: Date.now(),
    })
    .where(eq(documents.id, id));
}

/**
 * Removes documents with their chunks (and so their index entries) and extracted text, and the
 * uploads they were made from that no other document of the tenant still refers to.
 */
export async function deleteDocuments(env: Env, rows: DocumentRow[]): Promise<void> {
  if (rows.length === 0) return;
  const db = database(env);
  // The ids go in as one JSON parameter: D1 binds at most 100 per statement.
  const ids = JSON.stringify(rows.map((r) => r.id));
  const uploadIds = JSON.stringify([...new Set(rows.map((r) => r.uploadId))]);
  const stillReferred = db
    .select({ id: documents.id })
    .from(documents)
    .where(and(eq(documents.tenant, uploads.tenant), eq(documents.uploadId, uploads.id)));
  // One batch, so the last check sees these documents gone and no concurrent delete leaves an upload behind.
  const [, , removedUploads] = await db.batch([
    db.delete(documentChunks).where(sql`${documentChunks.documentId} IN (SELECT value FROM json_each(${ids}))`),
    db.delete(documents).where(sql`${documents.id} IN (SELECT value FROM json_each(${ids}))`),
    db
      .delete(uploads)
      .where(and(sql`${uploads.id} IN (SELECT value FROM json_each(${uploadIds}))`, notExists(stillReferred)))
      .returning({ id: uploads.id, tenant: uploads.tenant }),
  ]);
  const segments: string[] = [];
  for (const r of rows) {
    let cursor: string | undefined;
    do {
      const listed = await env.BUCKET.list({ prefix: textPrefix(r.tenant, r.id), cursor });
      segments.push(...listed.objects.map((o) => o.key));
      cursor = listed.truncated ? listed.cursor : undefined;
    } while (cursor);
  }
  const keys = [...segments, ...removedUploads.map((u) => uploadKey(u.tenant, u.id))];
  for (let i = 0; i < keys.length; i += 1000) await env.BUCKET.delete(keys.slice(i, i + 1000));
}
