import { iso } from "../engine/job-view";

export type DocumentStatus = "pending" | "extracting" | "chunking" | "indexing" | "completed" | "failed";

export interface DocumentRow {
  id: string;
  tenant: string;
  collection: string;
  name: string;
  uploadId: string;
  contentType: string;
  size: number;
  status: DocumentStatus;
  metadata: string;
  chunks: number;
  textLength: number | null;
  error: string | null;
  jobId: string | null;
  createdAt: number;
  updatedAt: number;
}

export const DOCUMENT_COLUMNS = `id, tenant, collection, name, upload_id AS uploadId, content_type AS contentType, size, status, metadata,
  chunks, text_length AS textLength, error, job_id AS jobId, created_at AS createdAt, updated_at AS updatedAt`;

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
  return env.DB.prepare(`SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE id = ? AND tenant = ?`).bind(id, tenant).first<DocumentRow>();
}

export async function setStatus(env: Env, id: string, status: DocumentStatus, extra: { error?: string | null; chunks?: number; textLength?: number } = {}) {
  await env.DB.prepare(
    `UPDATE documents SET status = ?, error = ?, chunks = coalesce(?, chunks), text_length = coalesce(?, text_length), updated_at = ? WHERE id = ?`,
  )
    .bind(status, extra.error ?? null, extra.chunks ?? null, extra.textLength ?? null, Date.now(), id)
    .run();
}

/** Removes documents with their chunks (and so their index entries), extracted text and uploaded bytes. */
export async function deleteDocuments(env: Env, rows: DocumentRow[]): Promise<void> {
  if (rows.length === 0) return;
  const ids = JSON.stringify(rows.map((r) => r.id));
  await env.DB.batch([
    env.DB.prepare("DELETE FROM document_chunks WHERE document_id IN (SELECT value FROM json_each(?))").bind(ids),
    env.DB.prepare("DELETE FROM documents WHERE id IN (SELECT value FROM json_each(?))").bind(ids),
    env.DB.prepare("DELETE FROM uploads WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(rows.map((r) => r.uploadId))),
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
  const keys = [...segments, ...rows.map((r) => `uploads/${r.tenant}/${r.uploadId}`)];
  for (let i = 0; i < keys.length; i += 1000) await env.BUCKET.delete(keys.slice(i, i + 1000));
}
