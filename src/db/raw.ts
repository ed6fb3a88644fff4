/**
 * Raw SQL for the bulk statements (json_each, UPDATE ... FROM) that the query builder cannot
 * express, as D1 prepared statements so they can share a `D1Database.batch` round trip.
 * Interpolated values are always bound parameters, never spliced into the text, except for
 * `SqlText`: fixed SQL made by the code (a column list from the schema), never from input.
 */
export type RawSql = (strings: TemplateStringsArray, ...values: unknown[]) => D1PreparedStatement;

export class SqlText {
  constructor(readonly text: string) {}
}

export function rawSql(d1: D1Database): RawSql {
  return (strings, ...values) => {
    let text = strings[0]!;
    const params: unknown[] = [];
    values.forEach((value, i) => {
      if (value instanceof SqlText) text += value.text;
      else {
        text += "?";
        params.push(value === undefined ? null : value);
      }
      text += strings[i + 1]!;
    });
    return d1.prepare(text).bind(...params);
  };
}

/** Rows of the statement at `index` of a `D1Database.batch` answer. */
export function rowsOf<T>(results: D1Result[], index: number): T[] {
  return (results[index]?.results ?? []) as T[];
}
