import { createRoute, z } from "@hono/zod-openapi";
import { ftsQuery, searchChunks } from "../../documents/search";
import { errorResponses, jsonContent } from "../../schemas/common";
import { CollectionName, CollectionSchema } from "../../schemas/document";
import { SearchQuery, SearchResultSchema } from "../../schemas/search";
import { recordSearch } from "../../search-analytics/record";
import { newRouter } from "../context";
import { ApiError, notFound } from "../errors";
import { requireScope } from "../middleware/auth";

const searchRouteDef = createRoute({
  method: "get",
  path: "/search",
  operationId: "searchDocuments",
  summary: "Full-text search over indexed document chunks, best first, with highlighted snippets",
  tags: ["documents"],
  middleware: [requireScope("jobs:read")] as const,
  request: { query: SearchQuery },
  responses: { 200: jsonContent(SearchResultSchema, "Matching chunks") },
});

const statsRouteDef = createRoute({
  method: "get",
  path: "/collections/{name}",
  operationId: "getCollection",
  summary: "A collection's documents by status, chunks and bytes",
  tags: ["documents"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: z.object({ name: CollectionName.openapi({ param: { name: "name", in: "path" } }) }) },
  responses: {
    200: jsonContent(CollectionSchema, "Stats"),
    ...errorResponses(404),
  },
});

export const searchApi = newRouter()
  .openapi(searchRouteDef, async (c) => {
    const { q, collection, limit } = c.req.valid("query");
    const query = ftsQuery(q);
    if (!query) throw new ApiError(400, "empty_query", "the query has no words to search for");
    const tenant = c.get("principal").tenant;
    const items = await searchChunks(c.env, tenant, query, collection, limit);
    // Search analytics (src/search-analytics/): one statement, one row written, unless the tenant turned it off.
    await recordSearch(c.env.DB, { tenant, query: q, collection, results: items.length, at: Date.now() });
    return c.json({ query, items }, 200);
  })
  .openapi(statsRouteDef, async (c) => {
    const { name } = c.req.valid("param");
    const { results } = await c.env.DB.prepare(
      "SELECT status, count(*) AS n, sum(chunks) AS chunks, sum(size) AS bytes FROM documents WHERE tenant = ? AND collection = ? GROUP BY status",
    )
      .bind(c.get("principal").tenant, name)
      .all<{ status: string; n: number; chunks: number; bytes: number }>();
    if (results.length === 0) throw notFound(`collection ${name}`);
    return c.json(
      {
        name,
        documents: results.reduce((n, r) => n + r.n, 0),
        byStatus: Object.fromEntries(results.map((r) => [r.status, r.n])),
        chunks: results.reduce((n, r) => n + r.chunks, 0),
        bytes: results.reduce((n, r) => n + r.bytes, 0),
      },
      200,
    );
  });
