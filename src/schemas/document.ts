import { z } from "@hono/zod-openapi";
import { OVERLAP_RULE, chunkOptionFields, overlapAllowed } from "../documents/chunk";
import { listOf } from "./common";

export const CollectionName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "letters, digits, _, . and -");
export const MAX_DOCUMENTS_PER_BATCH = 100;
export const DOCUMENT_STATUSES = ["pending", "extracting", "chunking", "indexing", "completed", "failed"] as const;

export const RegisterDocumentSchema = z
  .object({
    uploadId: z.string().min(1).max(64),
    collection: CollectionName,
    name: z.string().trim().min(1).max(500).optional().describe("Default: the upload's name."),
    metadata: z.record(z.string(), z.union([z.string().max(500), z.number(), z.boolean()])).default({}).describe("Your own fields, filterable."),
    ...chunkOptionFields,
  })
  .refine(overlapAllowed, { message: OVERLAP_RULE, path: ["chunkOverlap"] })
  .openapi("RegisterDocument");

export const RegisterDocumentBatchSchema = z.object({ documents: z.array(RegisterDocumentSchema).min(1).max(MAX_DOCUMENTS_PER_BATCH) });

export const DocumentSchema = z
  .object({
    id: z.string(),
    collection: z.string(),
    name: z.string(),
    uploadId: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    status: z.enum(DOCUMENT_STATUSES),
    metadata: z.record(z.string(), z.unknown()),
    chunks: z.number().int(),
    textLength: z.number().int().nullable(),
    error: z.string().nullable(),
    jobId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Document");

export const DocumentListSchema = listOf(DocumentSchema, "DocumentList");
export const DocumentBatchSchema = z.object({ items: z.array(DocumentSchema) });

/** The list filters; any other `meta.<field>` key filters by that metadata field. */
export const ListDocumentsQuery = z
  .object({
    collection: CollectionName.optional(),
    status: DocumentSchema.shape.status.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(300).optional(),
  })
  .catchall(z.string().max(500));

export const DeleteDocumentsSchema = z.object({ ids: z.array(z.string().min(1).max(64)).min(1).max(MAX_DOCUMENTS_PER_BATCH) });
export const DeletedDocumentsSchema = z.object({ deleted: z.number().int(), missing: z.array(z.string()) });

export const CollectionSchema = z.object({
  name: z.string(),
  documents: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  chunks: z.number().int(),
  bytes: z.number().int(),
});
