/**
 * Raw SQL for the bulk statements (json_each, UPDATE ... FROM) that the query builder cannot
 * express, as D1 prepared statements so they can share a `D1Database.batch` round trip.
 * Interpolated values are always bound parameters, never spliced into the text.
 */
export type RawSql = (strings: TemplateStringsArray, ...values: unknown[]) => D1PreparedStatement;

export function rawSql(d1: D1Database): RawSql {
  return (strings, ...values) => d1.prepare(strings.join("?")).bind(...values.map((v) => (v === undefined ? null : v)));
}

/** Rows of the statement at `index` of a `D1Database.batch` answer. */
export function rowsOf<T>(results: D1Result[], index: number): T[] {
  return (results[index]?.results ?? []) as T[];
}
