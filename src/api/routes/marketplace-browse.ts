import { createRoute, z } from "@hono/zod-openapi";
import { tenantNamed } from "../../marketplace/authors";
import { statistics } from "../../marketplace/statistics";
import { PageQuery, errorResponses, jsonContent } from "../../schemas/common";
import { BrowseQuery, DisplayName, ListingPageSchema, StatisticsSchema, Tag } from "../../schemas/marketplace";
import { newRouter } from "../context";
import { notFound } from "../errors";
import { listingPage, sortOf } from "../marketplace-pages";
import { requireScope } from "../middleware/auth";

const tags = ["marketplace"];

/** The fixed-order lists: each a search with its filter and order, paged the same way. */
function shortcut(path: string, operationId: string, summary: string) {
  return createRoute({
    method: "get",
    path,
    operationId,
    summary,
    tags,
    middleware: [requireScope("reports:read")] as const,
    request: { query: PageQuery },
    responses: { 200: jsonContent(ListingPageSchema, "A page") },
  });
}

const popularRouteDef = shortcut("/popular", "listPopularMarketplaceTemplates", "The most downloaded templates");
const topRatedRouteDef = shortcut("/top-rated", "listTopRatedMarketplaceTemplates", "The best-rated templates (those with reviews), more reviews first among equals");
const recentRouteDef = shortcut("/recent", "listRecentMarketplaceTemplates", "The most recently published templates");

const statisticsRouteDef = createRoute({
  method: "get",
  path: "/statistics",
  operationId: "getMarketplaceStatistics",
  summary: "The marketplace in numbers: listings, authors, downloads, reviews, formats, top tags",
  tags,
  middleware: [requireScope("reports:read")] as const,
  responses: { 200: jsonContent(StatisticsSchema, "The statistics") },
});

const authorRouteDef = createRoute({
  method: "get",
  path: "/authors/{author}",
  operationId: "listMarketplaceTemplatesByAuthor",
  summary: "An author's published templates (an author is a tenant's display name)",
  tags,
  middleware: [requireScope("reports:read")] as const,
  request: { params: z.object({ author: DisplayName.openapi({ param: { name: "author", in: "path" } }) }), query: BrowseQuery },
  responses: { 200: jsonContent(ListingPageSchema, "A page"), ...errorResponses(404) },
});

const tagRouteDef = createRoute({
  method: "get",
  path: "/tags/{tag}",
  operationId: "listMarketplaceTemplatesByTag",
  summary: "Published templates with a tag",
  tags,
  middleware: [requireScope("reports:read")] as const,
  request: { params: z.object({ tag: Tag.openapi({ param: { name: "tag", in: "path" } }) }), query: BrowseQuery },
  responses: { 200: jsonContent(ListingPageSchema, "A page") },
});

export const marketplaceBrowseApi = newRouter()
  .openapi(popularRouteDef, async (c) => {
    return c.json(await listingPage(c.env, c.get("principal").tenant, {}, "downloads", c.req.valid("query")), 200);
  })
  .openapi(topRatedRouteDef, async (c) => {
    return c.json(await listingPage(c.env, c.get("principal").tenant, { rated: true }, "rating", c.req.valid("query")), 200);
  })
  .openapi(recentRouteDef, async (c) => {
    return c.json(await listingPage(c.env, c.get("principal").tenant, {}, "created", c.req.valid("query")), 200);
  })
  .openapi(statisticsRouteDef, async (c) => c.json(await statistics(c.env), 200))
  .openapi(authorRouteDef, async (c) => {
    const { author } = c.req.valid("param");
    const publisher = await tenantNamed(c.env, author);
    if (!publisher) throw notFound(`author ${author}`);
    const query = c.req.valid("query");
    return c.json(await listingPage(c.env, c.get("principal").tenant, { publisher }, sortOf(query.sort, undefined), query), 200);
  })
  .openapi(tagRouteDef, async (c) => {
    const { tag } = c.req.valid("param");
    const query = c.req.valid("query");
    return c.json(await listingPage(c.env, c.get("principal").tenant, { tag }, sortOf(query.sort, undefined), query), 200);
  });
