import { type AnyColumn, sql } from "drizzle-orm";
import { database } from "../db/client";
import { datasetRows, datasets } from "../db/schema";
import { assertDatasetRoom } from "../quotas/check";
import { limitOf, parseOverrides } from "../quotas/limits";
import type { KeySource } from "./encode";
import type { DatasetSchema } from "./fields";

/** A row of `dataset_rows` as drizzle reads it (`data` is JSON text). */
export type DatasetRowRecord = typeof datasetRows.$inferSelect;
/** A dataset as drizzle reads it (`schema` is JSON text). */
export type DatasetRecord = typeof datasets.$inferSelect;

/** The value an `ON CONFLICT ... DO UPDATE` was going to insert into `column`. */
const excluded = (column: AnyColumn) => sql`excluded.${sql.identifier(column.name)}`;

/** Creates the dataset or records the schema of its latest import. */
export async function defineDataset(env: Env, tenant: string, name: string, schema: DatasetSchema, now = Date.now()) {
  await database(env)
    .insert(datasets)
    .values({ tenant, name, schema: JSON.stringify(schema), createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [datasets.tenant, datasets.name], set: { schema: excluded(datasets.schema), updatedAt: excluded(datasets.updatedAt) } });
}

/** D1 takes values of at most 2 MB: each statement's rows stay under it even if every character took 3 bytes. */
const MAX_PARAM_CHARS = 650_000;
/** Elements joined into one string at a time. */
const GROUP_ROWS = 256;

/** One statement's rows: the JSON array of their elements, consecutive rows of the file from `firstRow`. */
export interface RowsParam {
  json: string;
  firstRow: number;
  rows: number;
}

/**
 * A chunk's rows as the JSON arrays its statements read, `[element,…]` (each element as
 * `RowEncoder` writes it: the data, or `[key,data]`). A row's place in the file is not written:
 * the rows of one array are consecutive, so it is the array's first row plus the element's index
 * (a bad row between two good ones starts a new array). Elements are joined a few hundred at a
 * time, so that they die young: kept one by one until their array is joined, a chunk's rows
 * outlive the young generation and cost the garbage collector about as much as encoding them.
 */
export class UpsertRows {
  readonly params: RowsParam[] = [];
  /** Rows added. */
  count = 0;
  private group: string[] = [];
  private groups: string[] = [];
  private chars = 0;
  private firstRow = 0;
  private rows = 0;

  constructor(readonly keySource: KeySource) {}

  add(row: number, element: string): void {
    if (this.rows > 0 && (row !== this.firstRow + this.rows || this.chars + element.length + 1 > MAX_PARAM_CHARS)) this.flush();
    if (this.rows === 0) this.firstRow = row;
    this.group.push(element);
    if (this.group.length === GROUP_ROWS) this.joinGroup();
    this.chars += element.length + 1;
    this.rows += 1;
    this.count += 1;
  }

  /** The rows' keys, read back from the parameters (only near the rows quota are they needed). */
  keys(): string[] {
    const source = this.keySource;
    return this.finish().flatMap((p) =>
      (JSON.parse(p.json) as unknown[]).map((element, i) => {
        if (source.from === "element") return (element as [string])[0];
        if (source.from === "row") return `${source.prefix}${String(p.firstRow + i).padStart(12, "0")}`;
        return String((element as Record<string, unknown>)[source.path.slice(3, -1)]);
      }),
    );
  }

  /** The statements' parameters, once every row is added. */
  finish(): RowsParam[] {
    this.flush();
    return this.params;
  }

  private joinGroup(): void {
    this.groups.push(this.group.join(","));
    this.group = [];
  }

  private flush(): void {
    if (this.rows === 0) return;
    if (this.group.length > 0) this.joinGroup();
    this.params.push({ json: `[${this.groups.join(",")}]`, firstRow: this.firstRow, rows: this.rows });
    this.groups = [];
    this.chars = 0;
    this.rows = 0;
  }
}

/**
 * Before rows are upserted: refuses them if the tenant's rows quota has no room for them. The use
 * is read from the datasets' row counters, so it costs the same however many rows the tenant
 * holds; only near the limit are the rows the dataset already holds (and so would not add) counted.
 */
async function assertRowsFit(env: Env, tenant: string, dataset: string, rows: UpsertRows): Promise<void> {
  const usage = await env.DB.prepare(
    `SELECT (SELECT coalesce(sum(row_count), 0) FROM datasets WHERE tenant = ?1) AS used,
            (SELECT quotas FROM tenant_settings WHERE tenant = ?1) AS overrides`,
  )
    .bind(tenant)
    .first<{ used: number; overrides: string | null }>();
  const { limit } = limitOf(env, "datasetRows", parseOverrides(usage?.overrides));
  if ((usage?.used ?? 0) + rows.count <= limit) return;
  await assertDatasetRoom(env, tenant, dataset, rows.keys());
}

/**
 * The rows of a parameter as the table's columns: `?1` tenant, `?2` dataset, `?3` job, `?4` time,
 * `?5` the parameter, `?6` its first row, `?7` the key's path or prefix.
 */
function rowsSelect(source: KeySource): string {
  const key = source.from === "element" ? "r.value->>0" : source.from === "data" ? "r.value->>?7" : "?7 || printf('%012d', ?6 + r.key)";
  const data = source.from === "element" ? "r.value->1" : "json(r.value)";
  return `SELECT ?1, ?2, ${key}, ${data}, ?6 + r.key, ?3, ?4 FROM jsonb_each(?5) AS r WHERE true`;
}

/** Inserts the rows whose keys are new; `changes()` then counts them into the dataset's row counter. */
const insertNew = (source: KeySource) => `INSERT INTO dataset_rows (tenant, dataset, key, data, source_row, job_id, updated_at)
  ${rowsSelect(source)} ON CONFLICT (tenant, dataset, key) DO NOTHING`;
const COUNT_NEW = `UPDATE datasets SET row_count = row_count + changes() WHERE tenant = ?1 AND name = ?2`;
/**
 * Rewrites the rows whose keys were there already: every row of the parameter but those its own
 * insert just wrote (same job, time and source row), in the parameter's order, so that of rows
 * with the same key the last is kept. An upsert, so that each row is found by key.
 */
const updateOld = (source: KeySource) => `INSERT INTO dataset_rows (tenant, dataset, key, data, source_row, job_id, updated_at)
  ${rowsSelect(source)}
  ON CONFLICT (tenant, dataset, key) DO UPDATE SET data = excluded.data, source_row = excluded.source_row,
    job_id = excluded.job_id, updated_at = excluded.updated_at
  WHERE NOT (dataset_rows.job_id = excluded.job_id AND dataset_rows.updated_at = excluded.updated_at
    AND dataset_rows.source_row = excluded.source_row)`;

/**
 * Inserts or replaces rows by key. One D1 batch (one transaction) inserts the rows with new keys,
 * each statement followed by counting them into the dataset's `row_count`; only if some keys were
 * there already (or came twice) does a second batch rewrite those rows. So a chunk of new rows is
 * written once, with no lookup beyond the insert's own; replayed after a crash between the two
 * batches, the first inserts nothing and the second rewrites every row: nothing is lost or counted
 * twice. `jsonb_each` parses each parameter once and hands every row over as binary JSON, which
 * `->>` reads without parsing again.
 */
export async function upsertRows(env: Env, tenant: string, dataset: string, jobId: string, rows: UpsertRows, now = Date.now()) {
  const params = rows.finish();
  if (params.length === 0) return;
  await assertRowsFit(env, tenant, dataset, rows);
  const source = rows.keySource;
  const [insert, count, update] = [insertNew(source), COUNT_NEW, updateOld(source)].map((sql) => env.DB.prepare(sql));
  const keyParam = source.from === "data" ? [source.path] : source.from === "row" ? [source.prefix] : [];
  const bind = (statement: D1PreparedStatement, p: RowsParam) => statement.bind(tenant, dataset, jobId, now, p.json, p.firstRow, ...keyParam);
  const inserted = await env.DB.batch(params.flatMap((p) => [bind(insert!, p), count!.bind(tenant, dataset)]));
  const known = params.filter((p, i) => inserted[2 * i]!.meta.changes < p.rows);
  if (known.length > 0) await env.DB.batch(known.map((p) => bind(update!, p)));
}
