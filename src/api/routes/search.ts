import { createRoute, z } from "@hono/zod-openapi";
import { ftsQuery, searchChunks } from "../../documents/search";
import { errorResponses, jsonContent } from "../../schemas/common";
import { newRouter } from "../context";
import { ApiError, notFound } from "../errors";
import { requireScope } from "../middleware/auth";

const COLLECTION = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/);

const searchRouteDef = createRoute({
  method: "get",
  path: "/search",
  operationId: "searchDocuments",
  summary: "Full-text search over indexed document chunks, best first, with highlighted snippets",
  tags: ["documents"],
  middleware: [requireScope("jobs:read")] as const,
  request: {
    query: z.object({
      q: z.string().trim().min(1).max(500),
      collection: COLLECTION.optional(),
      limit: z.coerce.number().int().min(1).max(100).default(10),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({
        query: z.string(),
        items: z.array(z.object({ documentId: z.string(), documentName: z.string(), collection: z.string(), chunk: z.number().int(), score: z.number(), snippet: z.string() })),
      }),
      "Matching chunks",
    ),
    ...errorResponses(400, 401, 403),
  },
});

const statsRouteDef = createRoute({
  method: "get",
  path: "/collections/{name}",
  operationId: "getCollection",
  summary: "A collection's documents by status, chunks and bytes",
  tags: ["documents"],
  middleware: [requireScope("jobs:read")] as const,
  request: { params: z.object({ name: COLLECTION.openapi({ param: { name: "name", in: "path" } }) }) },
  responses: {
    200: jsonContent(
      z.object({ name: z.string(), documents: z.number().int(), byStatus: z.record(z.string(), z.number().int()), chunks: z.number().int(), bytes: z.number().int() }),
      "Stats",
    ),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const searchApi = newRouter()
  .openapi(searchRouteDef, async (c) => {
    const { q, collection, limit } = c.req.valid("query");
    const query = ftsQuery(q);
    if (!query) throw new ApiError(400, "empty_query", "the query has no words to search for");
    const items = await searchChunks(c.env, c.get("principal").tenant, query, collection, limit);
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
