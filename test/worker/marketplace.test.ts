// The template marketplace (src/marketplace/): publishing, searching, downloading, across tenants.
import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { ADMIN_KEY, api, env, json, newTenant, tenantBeside } from "./helpers";
import { MARKET_SCOPES, allPages, author, createTemplate, listingIds, publish, published, uniqueWord } from "./marketplace-helpers";

describe("marketplace: a flow across two tenants", () => {
  it("publishes in A; B (on another shard) finds, reads, downloads and reviews it, and sees nothing else of A", async () => {
    const a = await author("Acme Reports");
    const b = await author("Beta Co", await tenantBeside(a.tenant, false, MARKET_SCOPES));
    const word = uniqueWord("flow");
    const shared = await createTemplate(a.key, { name: `Weekly ${word}`, description: "private description", body: "# {{ team }} weekly\n" });
    const secret = await createTemplate(a.key, { name: `Secret ${word}`, body: "not for B" });

    const listing = await publish(a.key, { templateId: shared.id, description: `Team status, ${word} edition`, tags: ["Status", "weekly", "status"] });
    expect(listing).toMatchObject({
      name: `Weekly ${word}`,
      description: `Team status, ${word} edition`,
      tags: ["status", "weekly"],
      format: "markdown",
      author: a.displayName,
      version: 1,
      variables: [{ name: "team", type: "string", required: true }],
      downloads: 0,
      rating: { average: null, count: 0 },
      previewUrl: null,
      mine: true,
    });

    // The listing is in the platform database (DB) alone, whichever shard its publisher is on.
    const where = async (db: D1Database) => (await db.prepare("SELECT count(*) AS n FROM marketplace_templates WHERE id = ?").bind(listing.id).first<{ n: number }>())!.n;
    expect([await where(env.DB), await where(env.DB_1)]).toEqual([1, 0]);

    const found = await json(await api(`/marketplace/templates?q=${word}`, { key: b.key }), 200);
    expect(found.items.map((i: any) => i.id)).toEqual([listing.id]);
    expect(found.items[0]).toMatchObject({ author: a.displayName, mine: false });
    expect(JSON.stringify(found)).not.toContain(a.tenant);
    expect(await listingIds(`/marketplace/templates?q=secret%20${word}`, b.key)).toEqual([]);
    await expectError(await api(`/templates/${secret.id}`, { key: b.key }), 404, "not_found");
    await expectError(await api("/marketplace/templates", { key: b.key, body: { templateId: secret.id } }), 404, "not_found");

    const detail = await json(await api(`/marketplace/templates/${listing.id}`, { key: b.key }), 200);
    expect(detail).toMatchObject({ id: listing.id, body: "# {{ team }} weekly\n", versions: [{ version: 1, format: "markdown" }] });
    expect(JSON.stringify(detail)).not.toContain(a.tenant);

    const res = await api(`/marketplace/templates/${listing.id}/download`, { key: b.key, body: {} });
    const copy = await json(res, 201);
    expect(res.headers.get("location")).toBe(`/api/v1/templates/${copy.template.id}`);
    expect(copy).toMatchObject({ marketplaceId: listing.id, version: 1, firstDownload: true });
    expect(await json(await api(`/templates/${copy.template.id}`, { key: b.key }), 200)).toMatchObject({
      name: `Weekly ${word}`,
      body: "# {{ team }} weekly\n",
      variables: [{ name: "team", type: "string", required: true }],
    });
    const mine = await json(await api("/templates", { key: b.key }), 200);
    expect(mine.items.map((t: any) => t.id)).toEqual([copy.template.id]);

    const reviewed = await json(await api(`/marketplace/templates/${listing.id}/reviews`, { key: b.key, body: { rating: 4, comment: "useful" } }), 201);
    expect(reviewed).toMatchObject({ rating: 4, comment: "useful", author: b.displayName, mine: true });
    const seenByA = await json(await api(`/marketplace/templates/${listing.id}`, { key: a.key }), 200);
    expect(seenByA).toMatchObject({ downloads: 1, rating: { average: 4, count: 1 }, mine: true });
  });
});

describe("marketplace: publishing", () => {
  it("needs a display name, one of the caller's own templates, and the reports:write scope", async () => {
    const nameless = await newTenant(MARKET_SCOPES);
    const template = await createTemplate(nameless.key);
    await expectError(await api("/marketplace/templates", { key: nameless.key, body: { templateId: template.id } }), 409, "display_name_required");
    const other = await author();
    await expectError(await api("/marketplace/templates", { key: other.key, body: { templateId: template.id } }), 404, "not_found");
    const reader = await newTenant(["reports:read"]);
    await expectError(await api("/marketplace/templates", { key: reader.key, body: { templateId: template.id } }), 403, "forbidden");
    const jobsOnly = await newTenant(["jobs:read"]);
    await expectError(await api("/marketplace/templates", { key: jobsOnly.key }), 403, "forbidden");
    await expectError(await api("/marketplace/templates", { key: other.key, body: {} }), 400, "validation_failed");
  });

  it("publishing again adds a version, a snapshot of the template as it is then", async () => {
    const a = await author();
    const { source, listing } = await published(a.key, { tags: ["v"] }, { body: "first {{ team }}" });
    await json(await api(`/templates/${source.id}`, { key: a.key, method: "PATCH", body: { body: "second {{ team }}", format: "text" } }), 200);
    const again = await publish(a.key, { templateId: source.id, name: "Renamed" }, 200);
    expect(again).toMatchObject({ id: listing.id, version: 2, format: "text", name: "Renamed", tags: ["v"] });
    const detail = await json(await api(`/marketplace/templates/${listing.id}`, { key: a.key }), 200);
    expect(detail.body).toBe("second {{ team }}");
    expect(detail.versions.map((v: any) => [v.version, v.format])).toEqual([[2, "text"], [1, "markdown"]]);

    const b = await author();
    const old = await json(await api(`/marketplace/templates/${listing.id}/download`, { key: b.key, body: { version: 1, name: "old one" } }), 201);
    expect(old.template).toMatchObject({ name: "old one", body: "first {{ team }}", format: "markdown" });
    await expectError(await api(`/marketplace/templates/${listing.id}/download`, { key: b.key, body: { version: 9 } }), 404, "not_found");
    await expectError(await api(`/marketplace/templates/${listing.id}/download`, { key: b.key, body: { version: 1, name: "old one" } }), 409, "name_taken");
    // No body at all downloads the latest version under the listing's name.
    const latest = await json(await api(`/marketplace/templates/${listing.id}/download`, { key: b.key, method: "POST" }), 201);
    expect(latest).toMatchObject({ version: 2, firstDownload: false, template: { name: "Renamed", body: "second {{ team }}" } });

    // A listing keeps 100 versions: as if published 98 times more, the next publish is refused.
    await env.DB.prepare("UPDATE marketplace_templates SET latest_version = 100 WHERE id = ?").bind(listing.id).run();
    const full = await expectError(await api("/marketplace/templates", { key: a.key, body: { templateId: source.id } }), 422, "limit_exceeded");
    expect(full.details).toEqual([{ limit: "versions", max: 100 }]);
  });

  it("changes metadata for its publisher only, and unpublishes for its publisher or the platform admin", async () => {
    const a = await author();
    const b = await author();
    const word = uniqueWord("meta");
    const { listing } = await published(a.key, { tags: ["old"] });
    const changed = await json(
      await api(`/marketplace/templates/${listing.id}`, { key: a.key, method: "PATCH", body: { name: `New ${word}`, description: null, tags: ["fresh"] } }),
      200,
    );
    expect(changed).toMatchObject({ id: listing.id, name: `New ${word}`, description: null, tags: ["fresh"], version: 1 });
    expect(await listingIds(`/marketplace/templates?q=${word}`, b.key)).toEqual([listing.id]);
    expect(await listingIds(`/marketplace/tags/old`, b.key)).not.toContain(listing.id);
    expect(await listingIds(`/marketplace/tags/fresh`, b.key)).toContain(listing.id);
    await expectError(await api(`/marketplace/templates/${listing.id}`, { key: b.key, method: "PATCH", body: { name: "mine now" } }), 403, "forbidden");
    await expectError(await api(`/marketplace/templates/${listing.id}`, { key: a.key, method: "PATCH", body: {} }), 400, "validation_failed");
    await expectError(await api(`/marketplace/templates/nope`, { key: a.key, method: "PATCH", body: { name: "x" } }), 404, "not_found");

    await expectError(await api(`/marketplace/templates/${listing.id}`, { key: b.key, method: "DELETE" }), 403, "forbidden");
    expect((await api(`/marketplace/templates/${listing.id}`, { key: a.key, method: "DELETE" })).status).toBe(204);
    await expectError(await api(`/marketplace/templates/${listing.id}`, { key: b.key }), 404, "not_found");
    expect(await listingIds(`/marketplace/templates?q=${word}`, b.key)).toEqual([]);

    const moderated = (await published(a.key)).listing;
    expect((await api(`/marketplace/templates/${moderated.id}`, { key: ADMIN_KEY, method: "DELETE" })).status).toBe(204);
    await expectError(await api(`/marketplace/templates/${moderated.id}`, { key: a.key, method: "DELETE" }), 404, "not_found");
  });
});

describe("marketplace: display names", () => {
  it("are unique across tenants whatever their case, shown in settings, and name an author's listings", async () => {
    const a = await author();
    const b = await newTenant(MARKET_SCOPES);
    const settings = await json(await api("/settings", { key: a.key }), 200);
    expect(settings.marketplace).toEqual({ displayName: a.displayName });
    expect((await json(await api("/settings", { key: b.key }), 200)).marketplace).toEqual({ displayName: null });
    const taken = await api("/settings", { key: b.key, method: "PUT", body: { marketplace: { displayName: `  ${a.displayName.toUpperCase()} ` } } });
    await expectError(taken, 409, "display_name_taken");
    await expectError(await api("/settings", { key: b.key, method: "PUT", body: { marketplace: { displayName: "<script>" } } }), 400, "validation_failed");
    await expectError(await api("/settings", { key: b.key, method: "PUT", body: { marketplace: { displayName: null } } }), 400, "validation_failed");

    const { listing } = await published(a.key);
    const path = `/marketplace/authors/${encodeURIComponent(a.displayName.toLowerCase())}`;
    expect(await listingIds(path, b.key)).toEqual([listing.id]);
    expect(await listingIds(`/marketplace/templates?author=${encodeURIComponent(a.displayName)}`, b.key)).toEqual([listing.id]);
    await expectError(await api(`/marketplace/authors/${encodeURIComponent(`Nobody ${uniqueWord()}`)}`, { key: b.key }), 404, "not_found");

    const renamed = `Renamed ${uniqueWord()}`;
    await json(await api("/settings", { key: a.key, method: "PUT", body: { marketplace: { displayName: renamed } } }), 200);
    expect((await json(await api(`/marketplace/templates/${listing.id}`, { key: b.key }), 200)).author).toBe(renamed);
    await expectError(await api(path, { key: b.key }), 404, "not_found");
  });
});

describe("marketplace: search", () => {
  it("ranks by relevance, filters by format, tag and author, and pages every order with cursors", async () => {
    const a = await author();
    const b = await author();
    const word = uniqueWord("rank");
    const tag = uniqueWord("tag");
    const inName = (await published(a.key, { name: `${word} invoices`, tags: [tag] }, { format: "html" })).listing;
    const inDescription = (await published(b.key, { description: `mentions ${word} once`, tags: [tag] })).listing;
    const inTag = (await published(b.key, { name: "Unrelated", tags: [tag, word] }, { format: "csv" })).listing;

    expect(await listingIds(`/marketplace/templates?q=${word}`, a.key)).toEqual([inName.id, inTag.id, inDescription.id]);
    expect(await listingIds(`/marketplace/templates?q=${word.slice(0, 8)}*`, a.key)).toHaveLength(3);
    expect(await listingIds(`/marketplace/templates?q=${word}&format=html`, a.key)).toEqual([inName.id]);
    expect(await listingIds(`/marketplace/templates?tag=${tag}&format=csv`, a.key)).toEqual([inTag.id]);
    expect(await listingIds(`/marketplace/templates?q=${word}&author=${encodeURIComponent(b.displayName)}`, a.key)).toEqual([inTag.id, inDescription.id]);
    expect(await listingIds(`/marketplace/templates?q=${word}&author=nobody-here`, a.key)).toEqual([]);
    expect(await listingIds(`/marketplace/tags/${tag.toUpperCase()}`, a.key)).toEqual([inTag.id, inDescription.id, inName.id]);

    for (const sort of ["relevance", "downloads", "rating", "created", "updated", "name"]) {
      const path = sort === "relevance" ? `/marketplace/templates?q=${word}` : `/marketplace/templates?tag=${tag}&sort=${sort}`;
      const whole = await listingIds(`${path}${path.includes("?") ? "&" : "?"}limit=50`, a.key);
      expect(await allPages(path, a.key, 1), sort).toEqual(whole);
      expect(whole.sort(), sort).toEqual([inName.id, inDescription.id, inTag.id].sort());
    }
    // Names compare ignoring case: "rank… invoices", "tpl …", "Unrelated".
    expect(await listingIds(`/marketplace/templates?tag=${tag}&sort=name`, a.key)).toEqual([inName.id, inDescription.id, inTag.id]);
    expect(await listingIds(`/marketplace/templates?tag=${tag}`, a.key)).toEqual([inTag.id, inDescription.id, inName.id]);
  });

  it("refuses what it cannot search by", async () => {
    const { key } = await author();
    await expectError(await api("/marketplace/templates?sort=relevance", { key }), 400, "bad_request");
    await expectError(await api("/marketplace/templates?q=%22%2A%22", { key }), 400, "empty_query");
    await expectError(await api("/marketplace/templates?sort=stars", { key }), 400, "validation_failed");
    const page = await json(await api("/marketplace/templates?sort=downloads&limit=1", { key }), 200);
    if (page.nextCursor) await expectError(await api(`/marketplace/templates?sort=name&cursor=${page.nextCursor}`, { key }), 400, "invalid_cursor");
    await expectError(await api("/marketplace/templates?cursor=bm90LWEtY3Vyc29y", { key }), 400, "invalid_cursor");
  });
});
