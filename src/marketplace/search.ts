import { allFields } from "../db/columns";
import { marketplaceTemplates } from "../db/schema";
import { platformDatabase } from "../db/shards";
import type { Sort } from "../schemas/marketplace";
import type { ListingRead } from "./views";

export interface SearchFilters {
  /** An FTS5 query (src/documents/search.ts `ftsQuery`): ranked by bm25 over name, description and tags. */
  match?: string;
  format?: ListingRead["format"];
  tag?: string;
  publisher?: string;
  /** Only listings with at least one review. */
  rated?: boolean;
}

type KeyField = "score" | "downloads" | "ratingAvg" | "ratingCount" | "updatedAt" | "name";

/** Where the previous page ended: the order (`s`), its last listing's id and the values of the order's key fields. */
export type SearchCursor = Record<string, string | number> & { s: Sort; id: string };

export type Hit = ListingRead & { score?: number };

/** bm25 is lower for better matches; a name match weighs most, then a tag, then the description. */
const SCORE = "bm25(marketplace_fts, 10.0, 2.0, 5.0)";

/** Each order's key columns before the id that breaks ties; ids are time-ordered, so `created` is the id alone. */
const ORDERS: Record<Sort, { keys: [string, KeyField][]; dir: "ASC" | "DESC" }> = {
  relevance: { keys: [[SCORE, "score"]], dir: "ASC" },
  downloads: { keys: [["t.downloads", "downloads"]], dir: "DESC" },
  rating: { keys: [["t.rating_avg", "ratingAvg"], ["t.rating_count", "ratingCount"]], dir: "DESC" },
  created: { keys: [], dir: "DESC" },
  updated: { keys: [["t.updated_at", "updatedAt"]], dir: "DESC" },
  name: { keys: [["t.name COLLATE NOCASE", "name"]], dir: "ASC" },
};

const FIELDS = allFields(marketplaceTemplates, "t").text;

/** Listings with their author and latest variables; every value is bound, the text is the code's own. */
function statement(d1: D1Database, filters: SearchFilters, sort: Sort, limit: number, after?: SearchCursor): D1PreparedStatement {
  const order = ORDERS[sort];
  const keys = [...order.keys.map(([sql]) => sql), "t.id"];
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (filters.match) add("marketplace_fts MATCH ?", filters.match);
  if (filters.format) add("t.format = ?", filters.format);
  if (filters.tag) add("EXISTS (SELECT 1 FROM marketplace_template_tags g WHERE g.tag = ? AND g.template_id = t.id)", filters.tag);
  if (filters.publisher) add("t.publisher = ?", filters.publisher);
  if (filters.rated) add("t.rating_count > 0");
  if (after) add(`(${keys.join(", ")}) ${order.dir === "DESC" ? "<" : ">"} (${keys.map(() => "?").join(", ")})`, ...order.keys.map(([, f]) => after[f]), after.id);
  const source = filters.match ? "marketplace_fts JOIN marketplace_templates t ON t.seq = marketplace_fts.rowid" : "marketplace_templates t";
  const text = `SELECT ${FIELDS}, a.display_name AS author, v.variables AS variables${filters.match ? `, ${SCORE} AS score` : ""}
    FROM ${source}
    JOIN marketplace_authors a ON a.tenant = t.publisher
    JOIN marketplace_versions v ON v.template_id = t.id AND v.version = t.latest_version
    ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY ${keys.map((k) => `${k} ${order.dir}`).join(", ")}
    LIMIT ?`;
  return d1.prepare(text).bind(...params, limit + 1);
}

/** One page (and one more row, for `pageOf` to know there is a next) of listings in `sort` order. */
export async function searchListings(env: Env, filters: SearchFilters, sort: Sort, limit: number, after?: SearchCursor): Promise<Hit[]> {
  const { results } = await statement(platformDatabase(env), filters, sort, limit, after).all<Hit>();
  return results;
}

/** The cursor that continues after `hit` in `sort` order. */
export function cursorAfter(hit: Hit, sort: Sort): SearchCursor {
  return { s: sort, id: hit.id, ...Object.fromEntries(ORDERS[sort].keys.map(([, field]) => [field, hit[field] as string | number])) };
}

const KEY_KINDS: Record<KeyField, "string" | "number"> = {
  score: "number",
  downloads: "number",
  ratingAvg: "number",
  ratingCount: "number",
  updatedAt: "number",
  name: "string",
};

/** A decoded cursor fits `sort` when it was made for it and holds each of its key fields. */
export function isCursorFor(sort: Sort) {
  return (value: unknown): value is SearchCursor => {
    const c = value as SearchCursor | null;
    if (typeof c !== "object" || c === null || c.s !== sort || typeof c.id !== "string") return false;
    return ORDERS[sort].keys.every(([, field]) => typeof c[field] === KEY_KINDS[field]);
  };
}
