import { type AnyColumn, sql } from "drizzle-orm";
import { database } from "../db/client";
import { datasetRows, datasets } from "../db/schema";
import { jsonChunks } from "../engine/json-chunks";
import { assertDatasetRoom } from "../quotas/check";
import type { DatasetSchema } from "./fields";

/** A row of `dataset_rows` as drizzle reads it (`data` is JSON text). */
export type DatasetRowRecord = typeof datasetRows.$inferSelect;
/** A dataset as drizzle reads it (`schema` is JSON text). */
export type DatasetRecord = typeof datasets.$inferSelect;

/** A row to import: its key, its place in the source file and its parsed data. */
export type DatasetRow = Pick<DatasetRowRecord, "key" | "sourceRow"> & { data: Record<string, unknown> };

/** The value an `ON CONFLICT ... DO UPDATE` was going to insert into `column`. */
const excluded = (column: AnyColumn) => sql`excluded.${sql.identifier(column.name)}`;

/** Creates the dataset or records the schema of its latest import. */
export async function defineDataset(env: Env, tenant: string, name: string, schema: DatasetSchema, now = Date.now()) {
  await database(env)
    .insert(datasets)
    .values({ tenant, name, schema: JSON.stringify(schema), createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [datasets.tenant, datasets.name], set: { schema: excluded(datasets.schema), updatedAt: excluded(datasets.updatedAt) } });
}

/** Inserts or replaces rows by key, in one D1 batch. */
export async function upsertRows(env: Env, tenant: string, dataset: string, jobId: string, rows: DatasetRow[], now = Date.now()) {
  if (rows.length === 0) return;
  await assertDatasetRoom(env, tenant, dataset, rows.map((r) => r.key));
  const statements = jsonChunks(rows.map((r) => ({ k: r.key, n: r.sourceRow, d: JSON.stringify(r.data) }))).map((chunk) =>
    env.DB.prepare(
      `INSERT INTO dataset_rows (tenant, dataset, key, data, source_row, job_id, updated_at)
       SELECT ?1, ?2, r.value->>'k', r.value->>'d', r.value->>'n', ?3, ?4 FROM json_each(?5) AS r WHERE true
       ON CONFLICT (tenant, dataset, key) DO UPDATE SET data = excluded.data, source_row = excluded.source_row,
         job_id = excluded.job_id, updated_at = excluded.updated_at`,
    ).bind(tenant, dataset, jobId, now, chunk),
  );
  await env.DB.batch(statements);
}
