import { z } from "@hono/zod-openapi";
import { IsoTimestamp } from "./common";
import { MAX_PARTS } from "../uploads/store";

export const UploadSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    contentType: z.string(),
    status: z.enum(["uploading", "stored"]),
    size: z.number().int().nullable(),
    sha256: z.string().nullable(),
    createdAt: IsoTimestamp,
    completedAt: IsoTimestamp.nullable(),
    contentUrl: z.string(),
  })
  .openapi("Upload");

const fileName = z.string().trim().min(1).max(500);
const contentType = z.string().trim().min(1).max(200).regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, "a media type such as text/csv");

export const SimpleUploadQuery = z.object({ name: fileName.describe("The file's name.") });

export const StartMultipartSchema = z.object({ name: fileName, contentType: contentType.default("application/octet-stream") }).openapi("StartMultipartUpload");

export const PartParams = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
  n: z.coerce.number().int().min(1).max(MAX_PARTS).openapi({ param: { name: "n", in: "path" } }),
});

export const UploadedPartSchema = z.object({ partNumber: z.number().int().min(1).max(MAX_PARTS), etag: z.string().min(1).max(200) }).openapi("UploadedPart");

export const CompleteMultipartSchema = z
  .object({ parts: z.array(UploadedPartSchema).min(1).max(MAX_PARTS) })
  .refine((v) => new Set(v.parts.map((p) => p.partNumber)).size === v.parts.length, { message: "a part number is listed twice", path: ["parts"] })
  .openapi("CompleteMultipartUpload");
