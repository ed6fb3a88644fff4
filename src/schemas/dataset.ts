import { z } from "@hono/zod-openapi";
import { DatasetSchemaSchema } from "../datasets/fields";
import { listOf } from "./common";

export const DatasetSchema = z
  .object({ name: z.string(), schema: DatasetSchemaSchema, rows: z.number().int(), createdAt: z.string(), updatedAt: z.string() })
  .openapi("Dataset");

export const DatasetRowSchema = z
  .object({ key: z.string(), sourceRow: z.number().int(), jobId: z.string(), data: z.record(z.string(), z.unknown()), updatedAt: z.string() })
  .openapi("DatasetRow");

export const DatasetListSchema = listOf(DatasetSchema, "DatasetList");
export const DatasetRowListSchema = listOf(DatasetRowSchema, "DatasetRowList");

/** A page of datasets or of a dataset's rows. */
export const DatasetPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  cursor: z.string().max(500).optional(),
});
