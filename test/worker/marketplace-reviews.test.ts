// The marketplace's reviews, counters, preview images and fixed lists (src/marketplace/).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { ADMIN_KEY, api, env, json, newTenant } from "./helpers";
import { MARKET_SCOPES, author, base64, imageBytes, listingIds, published } from "./marketplace-helpers";

const reviewOf = (key: string, id: string, rating: number, comment = "") =>
  api(`/marketplace/templates/${id}/reviews`, { key, body: { rating, comment } });
const listing = async (key: string, id: string) => json(await api(`/marketplace/templates/${id}`, { key }), 200);

describe("marketplace: reviews", () => {
  it("takes 1 to 5 stars, one review per tenant (a second replaces the first), and lists them newest first", async () => {
    const a = await author();
    const b = await author();
    const anonymous = await newTenant(MARKET_SCOPES);
    const { listing: l } = await published(a.key);
    await expectError(await reviewOf(b.key, l.id, 0), 400, "validation_failed");
    await expectError(await reviewOf(b.key, l.id, 6), 400, "validation_failed");
    await expectError(await reviewOf(b.key, "mkt_nope", 3), 404, "not_found");
    await expectError(await reviewOf(a.key, l.id, 5), 409, "own_template");

    const first = await json(await reviewOf(b.key, l.id, 2, "meh"), 201);
    const replaced = await json(await reviewOf(b.key, l.id, 5, "grew on me"), 200);
    expect(replaced).toMatchObject({ id: first.id, rating: 5, comment: "grew on me", author: b.displayName });
    const other = await json(await reviewOf(anonymous.key, l.id, 2), 201);
    expect(other).toMatchObject({ author: null, comment: "", mine: true });
    expect((await listing(a.key, l.id)).rating).toEqual({ average: 3.5, count: 2 });

    const page = await json(await api(`/marketplace/templates/${l.id}/reviews?limit=1`, { key: b.key }), 200);
    expect(page.items.map((r: any) => [r.id, r.mine])).toEqual([[other.id, false]]);
    const next = await json(await api(`/marketplace/templates/${l.id}/reviews?limit=1&cursor=${page.nextCursor}`, { key: b.key }), 200);
    expect(next).toMatchObject({ items: [{ id: first.id, rating: 5, mine: true }], nextCursor: null });
    await expectError(await api(`/marketplace/templates/mkt_nope/reviews`, { key: b.key }), 404, "not_found");

    await expectError(await api(`/marketplace/reviews/${first.id}`, { key: anonymous.key, method: "DELETE" }), 403, "forbidden");
    expect((await api(`/marketplace/reviews/${first.id}`, { key: b.key, method: "DELETE" })).status).toBe(204);
    await expectError(await api(`/marketplace/reviews/${first.id}`, { key: b.key, method: "DELETE" }), 404, "not_found");
    expect((await listing(a.key, l.id)).rating).toEqual({ average: 2, count: 1 });
    expect((await api(`/marketplace/reviews/${other.id}`, { key: ADMIN_KEY, method: "DELETE" })).status).toBe(204);
    expect((await listing(a.key, l.id)).rating).toEqual({ average: null, count: 0 });
  });

  it("keeps the average exact under 50 concurrent reviews, and 25 concurrent replacements", async () => {
    const a = await author();
    const { listing: l } = await published(a.key);
    const reviewers = await Promise.all(Array.from({ length: 50 }, () => newTenant(MARKET_SCOPES)));
    const stars = reviewers.map((_, i) => (i % 5) + 1);
    const written = await Promise.all(reviewers.map((r, i) => reviewOf(r.key, l.id, stars[i]!)));
    expect(written.map((res) => res.status)).toEqual(Array(50).fill(201));
    const sum = stars.reduce((n, s) => n + s, 0);
    expect((await listing(a.key, l.id)).rating).toEqual({ average: sum / 50, count: 50 });

    const again = await Promise.all(reviewers.slice(0, 25).map((r) => reviewOf(r.key, l.id, 1)));
    expect(again.map((res) => res.status)).toEqual(Array(25).fill(200));
    const after = 25 + stars.slice(25).reduce((n, s) => n + s, 0);
    expect((await listing(a.key, l.id)).rating).toEqual({ average: after / 50, count: 50 });
  });
});

describe("marketplace: downloads", () => {
  it("counts each tenant once, however many times and however concurrently it downloads", async () => {
    const a = await author();
    const b = await newTenant(MARKET_SCOPES);
    const c = await newTenant(MARKET_SCOPES);
    const { listing: l } = await published(a.key);
    const copies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api(`/marketplace/templates/${l.id}/download`, { key: b.key, body: { name: `copy ${i}` } })),
    );
    const bodies = await Promise.all(copies.map((res) => json(res, 201)));
    expect(bodies.filter((d) => d.firstDownload)).toHaveLength(1);
    await json(await api(`/marketplace/templates/${l.id}/download`, { key: c.key, body: {} }), 201);
    expect((await listing(a.key, l.id)).downloads).toBe(2);
    const reader = await newTenant(["reports:read"]);
    await expectError(await api(`/marketplace/templates/${l.id}/download`, { key: reader.key, body: {} }), 403, "forbidden");
    await expectError(await api(`/marketplace/templates/mkt_nope/download`, { key: b.key, body: {} }), 404, "not_found");
  });
});

describe("marketplace: preview images", () => {
  it("stores a PNG or JPEG of at most 1 MiB in R2, serves it with its type, and removes it with the listing", async () => {
    const a = await author();
    const png = imageBytes("png", 2048);
    const { listing: l } = await published(a.key, { previewImage: base64(png) });
    expect(l.previewUrl).toBe(`/api/v1/marketplace/templates/${l.id}/preview`);
    const res = await exports.default.fetch(`https://jobs.test${l.previewUrl}`, { headers: { authorization: `Bearer ${a.key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    const etag = res.headers.get("etag")!;
    const cached = await api(`/marketplace/templates/${l.id}/preview`, { key: a.key, headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);

    const jpeg = imageBytes("jpeg", 512);
    const changed = await json(await api(`/marketplace/templates/${l.id}`, { key: a.key, method: "PATCH", body: { previewImage: base64(jpeg) } }), 200);
    expect(changed.previewUrl).toBe(l.previewUrl);
    const second = await api(`/marketplace/templates/${l.id}/preview`, { key: a.key });
    expect(second.headers.get("content-type")).toBe("image/jpeg");
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(jpeg);
    expect(second.headers.get("etag")).not.toBe(etag);
    expect(await env.BUCKET.head(`marketplace/previews/${etag.replaceAll('"', "")}`)).toBeNull();

    const sha = second.headers.get("etag")!.replaceAll('"', "");
    await json(await api(`/marketplace/templates/${l.id}`, { key: a.key, method: "PATCH", body: { previewImage: null } }), 200);
    await expectError(await api(`/marketplace/templates/${l.id}/preview`, { key: a.key }), 404, "not_found");
    expect(await env.BUCKET.head(`marketplace/previews/${sha}`)).toBeNull();
  });

  it("refuses other kinds of image, bytes past 1 MiB and text that is not base64", async () => {
    const a = await author();
    const gif = base64(imageBytes("gif"));
    const refused = await expectError(await api("/marketplace/templates", { key: a.key, body: { templateId: (await published(a.key)).source.id, previewImage: gif } }), 422, "invalid_image");
    expect(refused.message).toMatch(/PNG or a JPEG/);
    const big = base64(imageBytes("png", 1024 * 1024 + 1));
    const { source } = await published(a.key);
    await expectError(await api("/marketplace/templates", { key: a.key, body: { templateId: source.id, previewImage: big } }), 422, "invalid_image");
    await expectError(await api("/marketplace/templates", { key: a.key, body: { templateId: source.id, previewImage: "not base64!" } }), 400, "validation_failed");
    const exact = await api("/marketplace/templates", { key: a.key, body: { templateId: source.id, previewImage: base64(imageBytes("jpeg", 1024 * 1024)) } });
    expect((await json(exact, 200)).previewUrl).not.toBeNull();
  });
});

describe("marketplace: popular, top-rated, recent, statistics", () => {
  it("orders by downloads, by rating (reviewed only), by publication, and counts the whole marketplace", async () => {
    const before = await json(await api("/marketplace/statistics", { key: (await author()).key }), 200);
    const a = await author();
    const fans = await Promise.all(Array.from({ length: 3 }, () => newTenant(MARKET_SCOPES)));
    const tag = `stats-${crypto.randomUUID().slice(0, 8)}`;
    const one = (await published(a.key, { tags: [tag] }, { format: "html" })).listing;
    const two = (await published(a.key, { tags: [tag] }, { format: "csv" })).listing;
    const three = (await published(a.key, { tags: [tag] }, { format: "csv" })).listing;
    for (const [i, fan] of fans.entries()) {
      await json(await api(`/marketplace/templates/${two.id}/download`, { key: fan.key, body: { name: `two ${i}` } }), 201);
      if (i < 2) await json(await api(`/marketplace/templates/${one.id}/download`, { key: fan.key, body: { name: `one ${i}` } }), 201);
    }
    await json(await reviewOf(fans[0]!.key, one.id, 5), 201);
    await json(await reviewOf(fans[1]!.key, one.id, 4), 201);
    await json(await reviewOf(fans[0]!.key, two.id, 3), 201);

    const order = (ids: string[]) => ids.filter((id) => [one.id, two.id, three.id].includes(id));
    expect(order(await listingIds("/marketplace/popular?limit=200", a.key))).toEqual([two.id, one.id, three.id]);
    expect(order(await listingIds("/marketplace/top-rated?limit=200", a.key))).toEqual([one.id, two.id]);
    expect(await listingIds("/marketplace/recent?limit=3", a.key)).toEqual([three.id, two.id, one.id]);

    const stats = await json(await api("/marketplace/statistics", { key: a.key }), 200);
    expect(stats.templates - before.templates).toBe(3);
    expect(stats.authors - before.authors).toBe(1);
    expect(stats.downloads - before.downloads).toBe(5);
    expect(stats.reviews - before.reviews).toBe(3);
    expect(stats.formats.csv - (before.formats.csv ?? 0)).toBe(2);
    expect(stats.topTags).toContainEqual({ tag, templates: 3 });
    expect(stats.averageRating).toBeGreaterThanOrEqual(1);
    await expectError(await api("/marketplace/statistics", { key: (await newTenant(["jobs:read"])).key }), 403, "forbidden");
  });

  it("describes every marketplace operation in the OpenAPI document, the preview with its image types", async () => {
    const doc = await (await exports.default.fetch("https://jobs.test/api/v1/openapi.json")).json<any>();
    const preview = doc.paths["/api/v1/marketplace/templates/{id}/preview"].get;
    expect(Object.keys(preview.responses["200"].content)).toEqual(["image/png", "image/jpeg"]);
    expect(Object.keys(doc.paths["/api/v1/marketplace/templates"].post.responses["201"].headers)).toContain("Location");
    const ids = Object.entries<any>(doc.paths)
      .filter(([path]) => path.startsWith("/api/v1/marketplace"))
      .flatMap(([, item]) => Object.values<any>(item).map((op) => op.operationId));
    expect(ids.sort()).toEqual([
      "deleteMarketplaceReview",
      "downloadMarketplaceTemplate",
      "getMarketplaceStatistics",
      "getMarketplaceTemplate",
      "getMarketplaceTemplatePreview",
      "listMarketplaceReviews",
      "listMarketplaceTemplatesByAuthor",
      "listMarketplaceTemplatesByTag",
      "listPopularMarketplaceTemplates",
      "listRecentMarketplaceTemplates",
      "listTopRatedMarketplaceTemplates",
      "publishMarketplaceTemplate",
      "reviewMarketplaceTemplate",
      "searchMarketplaceTemplates",
      "unpublishMarketplaceTemplate",
      "updateMarketplaceTemplate",
    ]);
  });
});
