import { createRoute } from "@hono/zod-openapi";
import { iso } from "../../engine/job-view";
import { tenantNamed } from "../../marketplace/authors";
import { download } from "../../marketplace/download";
import { previewKey } from "../../marketplace/images";
import { getListing, listingDetail, unpublish } from "../../marketplace/listings";
import { publish, updateListing } from "../../marketplace/publish";
import { listingUrl, toListing } from "../../marketplace/views";
import { toTemplate } from "../../reports/templates";
import { IdParam, errorResponses, header, jsonBody, jsonContent, rawContent, withHeaders, withLocation } from "../../schemas/common";
import {
  DownloadResultSchema,
  DownloadSchema,
  ListingDetailSchema,
  ListingPageSchema,
  ListingSchema,
  PublishTemplateSchema,
  SearchQuery,
  UpdateListingSchema,
} from "../../schemas/marketplace";
import { newRouter } from "../context";
import { ApiError, notFound } from "../errors";
import { listingPage, matchOf, sortOf } from "../marketplace-pages";
import { requireScope } from "../middleware/auth";

const tags = ["marketplace"];

const publishRouteDef = createRoute({
  method: "post",
  path: "/templates",
  operationId: "publishMarketplaceTemplate",
  summary: "Publish one of your templates (again: a new version of its listing)",
  description: "Needs a display name (`PUT /settings {\"marketplace\":{\"displayName\"}}`): 409 `display_name_required` without one.",
  tags,
  middleware: [requireScope("reports:write")] as const,
  request: jsonBody(PublishTemplateSchema),
  responses: {
    201: withLocation(jsonContent(ListingSchema, "Published: a new listing")),
    200: jsonContent(ListingSchema, "Published again: a new version of its listing"),
    ...errorResponses(404, 409, 422),
  },
});

const searchRouteDef = createRoute({
  method: "get",
  path: "/templates",
  operationId: "searchMarketplaceTemplates",
  summary: "Search every tenant's published templates: ranked full-text `q`, filters, five orders, cursor pages",
  tags,
  middleware: [requireScope("reports:read")] as const,
  request: { query: SearchQuery },
  responses: { 200: jsonContent(ListingPageSchema, "A page") },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/templates/{id}",
  operationId: "getMarketplaceTemplate",
  summary: "A published template with its latest body and every version",
  tags,
  middleware: [requireScope("reports:read")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(ListingDetailSchema, "The listing"), ...errorResponses(404) },
});

const patchRouteDef = createRoute({
  method: "patch",
  path: "/templates/{id}",
  operationId: "updateMarketplaceTemplate",
  summary: "Change a listing's name, description, tags or preview (its publisher only)",
  tags,
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam, ...jsonBody(UpdateListingSchema) },
  responses: { 200: jsonContent(ListingSchema, "Changed"), ...errorResponses(404, 422) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/templates/{id}",
  operationId: "unpublishMarketplaceTemplate",
  summary: "Unpublish a listing with its versions and reviews (its publisher, or the platform admin as moderation)",
  tags,
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Unpublished; downloaded copies stay their tenants'" }, ...errorResponses(404) },
});

const previewRouteDef = createRoute({
  method: "get",
  path: "/templates/{id}/preview",
  operationId: "getMarketplaceTemplatePreview",
  summary: "A listing's preview image",
  tags,
  middleware: [requireScope("reports:read")] as const,
  request: { params: IdParam },
  responses: {
    200: withHeaders(rawContent("The image", { "image/png": "binary", "image/jpeg": "binary" }), { ETag: header("The image's SHA-256, quoted") }),
    304: { description: "Not modified: If-None-Match named the image shown now", headers: { ETag: header("The image's SHA-256, quoted") } },
    ...errorResponses(404),
  },
});

const downloadRouteDef = createRoute({
  method: "post",
  path: "/templates/{id}/download",
  operationId: "downloadMarketplaceTemplate",
  summary: "Copy a version (default: the latest) into your own templates; each tenant counts once",
  tags,
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam, body: { required: false, content: { "application/json": { schema: DownloadSchema } } } },
  responses: { 201: withLocation(jsonContent(DownloadResultSchema, "Your copy")), ...errorResponses(404, 409) },
});

export const marketplaceApi = newRouter()
  .openapi(publishRouteDef, async (c) => {
    const { listing, created } = await publish(c.env, c.get("principal").tenant, c.req.valid("json"));
    const body = toListing(listing, c.get("principal").tenant);
    if (!created) return c.json(body, 200);
    c.header("Location", listingUrl(listing.id));
    return c.json(body, 201);
  })
  .openapi(searchRouteDef, async (c) => {
    const { q, format, tag, author, sort, limit, cursor } = c.req.valid("query");
    const [order, match] = [sortOf(sort, q), matchOf(q)];
    const publisher = author === undefined ? undefined : await tenantNamed(c.env, author);
    // An author nobody is called has published nothing.
    if (publisher === null) return c.json({ items: [], nextCursor: null }, 200);
    return c.json(await listingPage(c.env, c.get("principal").tenant, { match, format, tag, publisher }, order, { limit, cursor }), 200);
  })
  .openapi(getRouteDef, async (c) => {
    const { listing, body, versions } = await listingDetail(c.env, c.req.valid("param").id);
    const detail = { ...toListing(listing, c.get("principal").tenant), body, versions: versions.map((v) => ({ ...v, createdAt: iso(v.createdAt) })) };
    return c.json(detail, 200);
  })
  .openapi(patchRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const listing = await updateListing(c.env, c.get("principal"), id, c.req.valid("json"));
    return c.json(toListing(listing, c.get("principal").tenant), 200);
  })
  .openapi(deleteRouteDef, async (c) => {
    await unpublish(c.env, c.req.valid("param").id, c.get("principal"));
    return c.body(null, 204);
  })
  .openapi(previewRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const listing = await getListing(c.env, id);
    if (!listing.previewSha256 || !listing.previewType) throw notFound(`the preview of marketplace template ${id}`);
    const etag = `"${listing.previewSha256}"`;
    // The same URL shows a new image once the listing's preview changes: cached copies revalidate.
    const headers = { etag, "cache-control": "private, no-cache" };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    const object = await c.env.BUCKET.get(previewKey(listing.previewSha256));
    if (!object) throw new ApiError(404, "content_missing", `the preview of marketplace template ${id} is missing from storage`);
    return c.body(object.body, 200, { ...headers, "content-type": listing.previewType });
  })
  .openapi(downloadRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = c.get("principal").tenant;
    const { template, version, firstDownload } = await download(c.env, tenant, id, c.req.valid("json"));
    c.header("Location", `/api/v1/templates/${template.id}`);
    return c.json({ template: toTemplate(template), marketplaceId: id, version, firstDownload }, 201);
  });
