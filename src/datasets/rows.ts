import { jsonChunks } from "../engine/json-chunks";
import type { DatasetSchema } from "./fields";

export interface DatasetRow {
  key: string;
  sourceRow: number;
  data: Record<string, unknown>;
}

/** Creates the dataset or records the schema of its latest import. */
export async function defineDataset(env: Env, tenant: string, name: string, schema: DatasetSchema, now = Date.now()) {
  await env.DB.prepare(
    `INSERT INTO datasets (tenant, name, schema, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant, name) DO UPDATE SET schema = excluded.schema, updated_at = excluded.updated_at`,
  )
    .bind(tenant, name, JSON.stringify(schema), now, now)
    .run();
}

/** Inserts or replaces rows by key, in one D1 batch. */
export async function upsertRows(env: Env, tenant: string, dataset: string, jobId: string, rows: DatasetRow[], now = Date.now()) {
  if (rows.length === 0) return;
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
