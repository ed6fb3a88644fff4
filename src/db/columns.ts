import { type InferSelectModel, type Table, getTableColumns, getTableName } from "drizzle-orm";
import { SqlText } from "./raw";

/**
 * Column lists for raw SQL (bulk `jsonb_each` statements, window functions, FTS) named from the
 * drizzle schema, so a raw statement reads rows shaped like the schema's own row type and a
 * renamed column cannot go out of step.
 */

type FieldOf<T extends Table> = keyof InferSelectModel<T> & string;

/** The SQL name of a field of `table`. */
export function columnOf<T extends Table>(table: T, field: FieldOf<T>): string {
  return (getTableColumns(table) as Record<string, { name: string }>)[field]!.name;
}

/**
 * A select (or RETURNING) list naming each field's column as the field: `t.max_attempts AS
 * "maxAttempts"`. `alias` is the table's name in the statement (its own name by default). Rows come
 * back as `Pick<InferSelectModel<typeof table>, …>` of the same fields.
 */
export function fieldList<T extends Table>(table: T, fields: readonly FieldOf<T>[], alias: string = getTableName(table)): SqlText {
  return new SqlText(fields.map((f) => `${alias}.${columnOf(table, f)} AS "${f}"`).join(", "));
}

/** Every field of `table`, as `fieldList` names them. */
export function allFields<T extends Table>(table: T, alias?: string): SqlText {
  return fieldList(table, Object.keys(getTableColumns(table)) as FieldOf<T>[], alias);
}
