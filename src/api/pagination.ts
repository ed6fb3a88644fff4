import { decodeJson, encodeJson } from "./base64url-json";
import { ApiError } from "./errors";

/** Cursors are opaque to clients: base64url JSON of the last item's sort key. */
export function encodeCursor(key: Record<string, string | number>): string {
  return encodeJson(key);
}

export function decodeCursor<T extends Record<string, unknown>>(cursor: string, valid: (value: unknown) => value is T): T {
  try {
    const value = decodeJson(cursor);
    if (valid(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw new ApiError(400, "invalid_cursor", "cursor is not one this API issued");
}

/** A cursor guard: the decoded cursor is an object whose `field` is a `kind`. */
export function cursorWith<F extends string, K extends "string" | "number">(field: F, kind: K) {
  return (v: unknown): v is Record<F, K extends "string" ? string : number> =>
    typeof v === "object" && v !== null && typeof (v as Record<string, unknown>)[field] === kind;
}

/** Cursors of lists paged by id. */
export const isIdCursor = cursorWith("id", "string");

export function pageOf<Row, Item>(rows: Row[], limit: number, view: (row: Row) => Item, key: (row: Row) => Record<string, string | number>) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null,
  };
}
