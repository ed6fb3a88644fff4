import { createRoute } from "@hono/zod-openapi";
import { deleteReview, listReviews, review } from "../../marketplace/reviews";
import { toReview } from "../../marketplace/views";
import { IdParam, PageQuery, errorResponses, jsonBody, jsonContent } from "../../schemas/common";
import { ReviewInputSchema, ReviewPageSchema, ReviewSchema } from "../../schemas/marketplace";
import { newRouter } from "../context";
import { requireScope } from "../middleware/auth";
import { decodeCursor, isIdCursor, pageOf } from "../pagination";

const tags = ["marketplace"];

const reviewRouteDef = createRoute({
  method: "post",
  path: "/templates/{id}/reviews",
  operationId: "reviewMarketplaceTemplate",
  summary: "Review a published template: 1 to 5 stars and a comment; your second review replaces your first",
  tags,
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam, ...jsonBody(ReviewInputSchema) },
  responses: {
    201: jsonContent(ReviewSchema, "Your review"),
    200: jsonContent(ReviewSchema, "Your review, replacing your earlier one"),
    ...errorResponses(404, 409),
  },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/templates/{id}/reviews",
  operationId: "listMarketplaceReviews",
  summary: "A published template's reviews, newest first",
  tags,
  middleware: [requireScope("reports:read")] as const,
  request: { params: IdParam, query: PageQuery },
  responses: { 200: jsonContent(ReviewPageSchema, "A page"), ...errorResponses(404) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/reviews/{id}",
  operationId: "deleteMarketplaceReview",
  summary: "Delete a review (its author, or the platform admin as moderation)",
  tags,
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted; the template's rating no longer counts it" }, ...errorResponses(404) },
});

export const marketplaceReviewsApi = newRouter()
  .openapi(reviewRouteDef, async (c) => {
    const tenant = c.get("principal").tenant;
    const written = await review(c.env, tenant, c.req.valid("param").id, c.req.valid("json"));
    return c.json(toReview(written.review, tenant), written.created ? 201 : 200);
  })
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, isIdCursor).id : undefined;
    const rows = await listReviews(c.env, c.req.valid("param").id, limit, after);
    const tenant = c.get("principal").tenant;
    return c.json(pageOf(rows, limit, (r) => toReview(r, tenant), (r) => ({ id: r.id })), 200);
  })
  .openapi(deleteRouteDef, async (c) => {
    await deleteReview(c.env, c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  });
