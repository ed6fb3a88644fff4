import { type AnyColumn, and, desc, eq, lt, sql } from "drizzle-orm";
import { database } from "../db/client";
import { documents, uploads } from "../db/schema";
import { hex } from "../crypto";
import { newId } from "../engine/ids";
import { iso } from "../engine/job-view";
import { ConflictError, InvalidInputError, MalformedInputError, NotFoundError } from "../errors";
import { admitUploadPart, assertRoom } from "../quotas/check";

/** An upload as drizzle reads it from the `uploads` table. */
export type UploadRow = typeof uploads.$inferSelect;

/** A single-request upload; larger files go through the multipart API. */
export const MAX_SIMPLE_UPLOAD_BYTES = 100 * 1024 * 1024;
/** R2's rules for multipart parts: at least 5 MiB except the last, at most 10,000 of them. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;

export function uploadKey(tenant: string, id: string): string {
  return `uploads/${tenant}/${id}`;
}

export function toUpload(row: UploadRow) {
  return {
    id: row.id,
    name: row.name,
    contentType: row.contentType,
    status: row.status,
    size: row.size,
    sha256: row.sha256,
    createdAt: iso(row.createdAt),
    completedAt: row.completedAt === null ? null : iso(row.completedAt),
    contentUrl: `/api/v1/uploads/${row.id}/content`,
  };
}

export async function findUpload(env: Env, tenant: string, id: string): Promise<UploadRow | null> {
  const row = await database(env).select().from(uploads).where(and(eq(uploads.id, id), eq(uploads.tenant, tenant))).get();
  return row ?? null;
}

export async function requireUpload(env: Env, tenant: string, id: string): Promise<UploadRow> {
  const row = await findUpload(env, tenant, id);
  if (!row) throw new NotFoundError(`upload ${id}`);
  return row;
}

/** A completed upload's bytes, or a `ConflictError` while it is still being uploaded. */
export async function requireStored(env: Env, tenant: string, id: string): Promise<UploadRow & { size: number }> {
  const row = await requireUpload(env, tenant, id);
  if (row.status !== "stored" || row.size === null) throw new ConflictError("upload_incomplete", `upload ${id} is not complete yet`);
  return row as UploadRow & { size: number };
}

/** Streams `body` (of exactly `length` bytes) into R2 while hashing it, and records the upload. */
export async function storeSimple(
  env: Env,
  tenant: string,
  meta: { name: string; contentType: string },
  body: ReadableStream<Uint8Array>,
  length: number,
): Promise<UploadRow> {
  await assertRoom(env, tenant, "uploadBytes", length);
  const now = Date.now();
  const id = newId("upl", now);
  const [toStore, toHash] = body.tee();
  const digest = new crypto.DigestStream("SHA-256");
  const fixed = new FixedLengthStream(length);
  const [, hashed] = await Promise.all([
    toStore.pipeTo(fixed.writable).catch((err) => {
      throw new MalformedInputError("upload_failed", `the body did not arrive whole: ${(err as Error).message}`);
    }),
    toHash.pipeTo(digest).then(() => digest.digest),
    env.BUCKET.put(uploadKey(tenant, id), fixed.readable, {
      httpMetadata: { contentType: meta.contentType },
      customMetadata: { tenant, name: meta.name },
    }),
  ]);
  const row: UploadRow = {
    id, tenant, name: meta.name, contentType: meta.contentType, status: "stored", size: length, sha256: hex(hashed),
    multipartId: null, createdAt: now, completedAt: now,
  };
  await insertUpload(env, row);
  return row;
}

/** Stores bytes already in memory (a file a job produced) as an upload. */
export async function storeBytes(env: Env, tenant: string, meta: { name: string; contentType: string }, bytes: Uint8Array): Promise<UploadRow> {
  await assertRoom(env, tenant, "uploadBytes", bytes.byteLength);
  const now = Date.now();
  const id = newId("upl", now);
  const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
  await env.BUCKET.put(uploadKey(tenant, id), bytes, {
    httpMetadata: { contentType: meta.contentType },
    customMetadata: { tenant, name: meta.name },
    sha256,
  });
  const row: UploadRow = {
    id, tenant, name: meta.name, contentType: meta.contentType, status: "stored", size: bytes.byteLength, sha256,
    multipartId: null, createdAt: now, completedAt: now,
  };
  await insertUpload(env, row);
  return row;
}

/**
 * Joins stored objects, in order, into one upload with the given id (so a retry writes the same
 * upload again), streaming: one chunk in memory at a time, hashed on the way.
 */
export async function storeConcatenation(
  env: Env,
  tenant: string,
  id: string,
  meta: { name: string; contentType: string },
  keys: string[],
  size: number,
): Promise<UploadRow> {
  await assertRoom(env, tenant, "uploadBytes", size);
  const fixed = new FixedLengthStream(size);
  const digest = new crypto.DigestStream("SHA-256");
  const copy = async () => {
    const out = fixed.writable.getWriter();
    const hash = digest.getWriter();
    for (const key of keys) {
      const object = await env.BUCKET.get(key);
      if (!object) throw new Error(`object ${key} vanished`);
      const reader = object.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await Promise.all([out.write(value), hash.write(value)]);
      }
    }
    await Promise.all([out.close(), hash.close()]);
  };
  const [, , hashed] = await Promise.all([
    copy(),
    env.BUCKET.put(uploadKey(tenant, id), fixed.readable, { httpMetadata: { contentType: meta.contentType }, customMetadata: { tenant, name: meta.name } }),
    digest.digest,
  ]);
  const now = Date.now();
  const row: UploadRow = {
    id, tenant, name: meta.name, contentType: meta.contentType, status: "stored", size, sha256: hex(hashed),
    multipartId: null, createdAt: now, completedAt: now,
  };
  await database(env)
    .insert(uploads)
    .values(row)
    .onConflictDoUpdate({
      target: uploads.id,
      set: { size: excluded(uploads.size), sha256: excluded(uploads.sha256), completedAt: excluded(uploads.completedAt) },
    });
  return row;
}

/** The value an `ON CONFLICT ... DO UPDATE` was going to insert into `column`. */
const excluded = (column: AnyColumn) => sql`excluded.${sql.identifier(column.name)}`;

async function insertUpload(env: Env, row: UploadRow) {
  await database(env).insert(uploads).values(row);
}

/**
 * Opens a multipart upload. A job writing its output names it (`id`) so that a retry opens it again:
 * the earlier multipart upload is then left to R2 to expire.
 */
export async function startMultipart(env: Env, tenant: string, meta: { name: string; contentType: string }, id?: string): Promise<UploadRow> {
  const now = Date.now();
  id ??= newId("upl", now);
  const multipart = await env.BUCKET.createMultipartUpload(uploadKey(tenant, id), {
    httpMetadata: { contentType: meta.contentType },
    customMetadata: { tenant, name: meta.name },
  });
  const row: UploadRow = {
    id, tenant, name: meta.name, contentType: meta.contentType, status: "uploading", size: null, sha256: null,
    multipartId: multipart.uploadId, createdAt: now, completedAt: null,
  };
  await database(env)
    .insert(uploads)
    .values(row)
    .onConflictDoUpdate({
      target: uploads.id,
      set: { status: row.status, size: null, sha256: null, multipartId: row.multipartId, createdAt: now, completedAt: null },
      setWhere: eq(uploads.tenant, tenant),
    });
  return row;
}

function openMultipart(env: Env, row: UploadRow): R2MultipartUpload {
  if (row.status !== "uploading" || !row.multipartId) throw new ConflictError("not_uploading", `upload ${row.id} is not an open multipart upload`);
  return env.BUCKET.resumeMultipartUpload(uploadKey(row.tenant, row.id), row.multipartId);
}

export async function uploadPart(env: Env, row: UploadRow, partNumber: number, body: ReadableStream<Uint8Array>, length: number) {
  await admitUploadPart(env, row, length);
  const fixed = new FixedLengthStream(length);
  const [, part] = await Promise.all([body.pipeTo(fixed.writable), openMultipart(env, row).uploadPart(partNumber, fixed.readable)]);
  return part;
}

/** Streams a stored object through SHA-256 (memory stays flat whatever its size). */
async function hashObject(env: Env, key: string): Promise<string> {
  const object = await env.BUCKET.get(key);
  if (!object) throw new Error(`object ${key} vanished`);
  const digest = new crypto.DigestStream("SHA-256");
  await object.body.pipeTo(digest);
  return hex(await digest.digest);
}

export async function completeMultipart(env: Env, row: UploadRow, parts: R2UploadedPart[]): Promise<UploadRow> {
  const multipart = openMultipart(env, row);
  let object: R2Object;
  try {
    object = await multipart.complete([...parts].sort((a, b) => a.partNumber - b.partNumber));
  } catch (err) {
    throw new InvalidInputError("invalid_parts", `R2 refused to complete the upload: ${(err as Error).message}`);
  }
  const sha256 = await hashObject(env, object.key);
  const now = Date.now();
  await database(env)
    .update(uploads)
    .set({ status: "stored", size: object.size, sha256, multipartId: null, completedAt: now })
    .where(and(eq(uploads.id, row.id), eq(uploads.status, "uploading")));
  return { ...row, status: "stored", size: object.size, sha256, multipartId: null, completedAt: now };
}

/** Deletes an upload: aborts an open multipart upload, or removes stored bytes. */
/** Deletes an upload and its bytes; refused while a document of the tenant is made from it. */
export async function deleteUpload(env: Env, row: UploadRow): Promise<void> {
  const source = await database(env)
    .select({ id: documents.id })
    .from(documents)
    .where(and(eq(documents.tenant, row.tenant), eq(documents.uploadId, row.id)))
    .limit(1)
    .get();
  if (source) {
    throw new ConflictError("upload_in_use", `upload ${row.id} is the source of document ${source.id}; delete its documents first (the upload goes with the last)`, [
      { path: "id", message: `document ${source.id} is made from it` },
    ]);
  }
  if (row.status === "uploading" && row.multipartId) {
    try {
      await openMultipart(env, row).abort();
    } catch (err) {
      console.warn(`aborting multipart upload ${row.id} failed`, err);
    }
  } else {
    await env.BUCKET.delete(uploadKey(row.tenant, row.id));
  }
  await database(env).delete(uploads).where(eq(uploads.id, row.id));
}

export async function listUploads(env: Env, tenant: string, before: string | null, limit: number): Promise<UploadRow[]> {
  return database(env)
    .select()
    .from(uploads)
    .where(and(eq(uploads.tenant, tenant), before === null ? undefined : lt(uploads.id, before)))
    .orderBy(desc(uploads.id))
    .limit(limit);
}
