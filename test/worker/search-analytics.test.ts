// Search analytics through the real entry point: GET /search records, the clock's tick folds, and
// suggestions and predictions read the tenant's own history and indexed documents.
import { beforeAll, describe, expect, it } from "vitest";
import { captureSql, expectError, queryPlan } from "./api-helpers";
import { api, dbOf, json, newTenant, tenantBeside } from "./helpers";
import { foldAll, getJson, ingestText, search } from "./search-analytics-helpers";

type Tenant = { tenant: string; key: string };
const FULL = ["jobs:read", "jobs:write", "admin"];
let a: Tenant;
let b: Tenant;
let passwordsDoc: string;

const logRows = async (t: Tenant) =>
  (await dbOf(t.tenant).prepare("SELECT count(*) AS n FROM search_log WHERE tenant = ?").bind(t.tenant).first<{ n: number }>())!.n;

beforeAll(async () => {
  a = await newTenant(FULL);
  // Both tenants in one database: its full-text index and its tables hold both.
  b = await tenantBeside(a.tenant, true, FULL);
  await ingestText(a.key, "leave.txt", "Parental leave lasts sixteen weeks at full pay.");
  await ingestText(a.key, "parking.txt", "Parking is free for staff with a parking permit.");
  await ingestText(a.key, "it.txt", "Passwords rotate yearly. The parental advice line answers too.");
  await ingestText(b.key, "menu.txt", "Pancakes are served on Fridays.");
  passwordsDoc = (await getJson(a.key, "/documents?collection=handbook")).items.find((d: any) => d.name === "it.txt").id;
  for (const q of ["parental leave", "Parental Leave!", "parking", "pancakes"]) await search(a.key, q);
  await foldAll();
});

describe("recording GET /search", () => {
  it("adds one statement to a search, which writes one row; none when the tenant turned analytics off", async () => {
    const before = await logRows(a);
    const { res, statements } = await captureSql("/search?q=parking%20permit", a.key);
    expect(res.status).toBe(200);
    const logged = statements.filter((s) => s.sql.includes("search_log"));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.sql).toMatch(/^\s*INSERT OR IGNORE INTO search_log/);
    expect(await logRows(a)).toBe(before + 1);
    // The same statement again (another seq): the D1 meta counts what one search costs.
    const again = () => dbOf(a.tenant).prepare(logged[0]!.sql).bind(...logged[0]!.params.map((p, i) => (i === 2 ? 7 : p))).run();
    expect((await again()).meta.rows_written).toBe(1);
    await json(await api("/settings", { key: a.key, method: "PUT", body: { search: { analytics: false } } }), 200);
    await dbOf(a.tenant).prepare("DELETE FROM search_log WHERE tenant = ? AND seq = 7").bind(a.tenant).run();
    expect((await again()).meta.rows_written).toBe(0);
    await search(a.key, "parking");
    expect(await logRows(a)).toBe(before + 1);
    expect((await getJson(a.key, "/search/statistics")).enabled).toBe(false);
    await json(await api("/settings", { key: a.key, method: "PUT", body: { search: { analytics: true } } }), 200);
    await dbOf(a.tenant).prepare("DELETE FROM search_log WHERE tenant = ? AND query = 'parking permit'").bind(a.tenant).run();
  });

  it("shows the setting and its retention in /settings; only the admin scope changes them", async () => {
    expect((await getJson(a.key, "/settings")).search).toEqual({ analytics: true, retentionDays: null, effectiveRetentionDays: 30 });
    const writer = await tenantBeside(a.tenant, true, ["jobs:read", "jobs:write"]);
    await expectError(await api("/settings", { key: writer.key, method: "PUT", body: { search: { analytics: false } } }), 403, "forbidden");
    for (const retentionDays of [0, 91, 1.5]) {
      await expectError(await api("/settings", { key: a.key, method: "PUT", body: { search: { retentionDays } } }), 400, "validation_failed");
    }
    await expectError(await api("/settings", { key: a.key, method: "PUT", body: { search: {} } }), 400, "validation_failed");
  });
});

describe("suggestions", () => {
  it("complete a prefix from the tenant's history (that found results) and its indexed terms", async () => {
    // History: parental leave found 2, parking 1 (pancakes found nothing). Terms pa…: parental in 2
    // documents, parking, passwords and pay in 1: 0.5 × documents / 5.
    expect(await getJson(a.key, "/search/suggest?q=pa")).toEqual({
      query: "pa",
      suggestions: [
        { suggestion: "parental leave", confidence: 0.6667, source: "history", relatedQueries: [] },
        { suggestion: "parking", confidence: 0.3333, source: "history", relatedQueries: [] },
        { suggestion: "parental", confidence: 0.2, source: "pattern", relatedQueries: ["parental leave"] },
        { suggestion: "passwords", confidence: 0.1, source: "pattern", relatedQueries: [] },
        { suggestion: "pay", confidence: 0.1, source: "pattern", relatedQueries: [] },
      ],
    });
    // The earlier words stay: the last one is completed from the index.
    const s = await getJson(a.key, "/search/suggest?q=staff%20perm");
    expect(s.suggestions).toEqual([{ suggestion: "staff permit", confidence: 0.5, source: "pattern", relatedQueries: [] }]);
  });

  it("never cross tenants, though both are in one database and one full-text index", async () => {
    expect(await getJson(b.key, "/search/suggest?q=pa")).toEqual({
      query: "pa",
      suggestions: [{ suggestion: "pancakes", confidence: 0.5, source: "pattern", relatedQueries: [] }],
    });
    const prediction = await getJson(b.key, "/search/predict-zero-results?q=parental");
    expect(prediction).toMatchObject({ basis: "vocabulary", likelihood: 1, missingTerms: ["parental"] });
  });

  it("follow documents leaving the index", async () => {
    expect((await api(`/documents/${passwordsDoc}`, { key: a.key, method: "DELETE" })).status).toBe(204);
    await foldAll();
    const s = await getJson(a.key, "/search/suggest?q=pa&limit=10");
    expect(s.suggestions.filter((x: any) => x.source === "pattern").map((x: any) => [x.suggestion, x.confidence])).toEqual([
      ["parental", 0.1667],
      ["pay", 0.1667],
    ]);
  });
});

describe("zero-result prediction from the index", () => {
  it("looks each word up with search's own stemming, within the tenant's chunks", async () => {
    // Not searched before: two of the tenant's chunks, `sixteen` in one and `week` (weeks) in one.
    const p = await getJson(a.key, "/search/predict-zero-results?q=sixteen%20week");
    expect(p).toMatchObject({ basis: "vocabulary", searches: 0, terms: [{ term: "sixteen", chunks: 1 }, { term: "week", chunks: 1 }], missingTerms: [] });
    expect(p.likelihood).toBeCloseTo((1 - 1 / 4) ** 2, 4);
    expect((await getJson(a.key, "/search/predict-zero-results?q=weeks")).likelihood).toBe(0);
    expect(await getJson(a.key, "/search/predict-zero-results?q=weeks%20unicorn")).toMatchObject({ likelihood: 1, missingTerms: ["unicorn"] });
  });
});

describe("clearing the history", () => {
  it("forgets the aggregates at once and the log within the next ticks; later searches count again", async () => {
    const reader = await tenantBeside(a.tenant, true, ["jobs:read"]);
    await expectError(await api("/search/history", { key: reader.key, method: "DELETE" }), 403, "forbidden");
    expect((await getJson(a.key, "/search/statistics")).searches).toBeGreaterThan(0);
    const res = await api("/search/history", { key: a.key, method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await getJson(a.key, "/search/statistics")).toMatchObject({ searches: 0, distinctQueries: 0, days: [] });
    expect((await getJson(a.key, "/search/suggest?q=pa")).suggestions.every((x: any) => x.source === "pattern")).toBe(true);
    await foldAll();
    expect(await logRows(a)).toBe(0);
    await search(a.key, "parking");
    await foldAll();
    expect(await getJson(a.key, "/search/statistics")).toMatchObject({ searches: 1, distinctQueries: 1 });
  });
});

describe("bounded reads", () => {
  it("reads the analytics tables by their keys only: no request scans a tenant's history", async () => {
    const paths = ["/search/suggest?q=pa", "/search/patterns?days=30", "/search/related?q=parking", "/search/similarity?a=x&b=y", "/search/statistics", "/search/predict-zero-results?q=parking"];
    for (const path of paths) {
      const { res, statements } = await captureSql(path, a.key);
      expect(res.status, path).toBe(200);
      for (const statement of statements.filter((s) => /\b(from|join)\s+"?search_/i.test(s.sql))) {
        const plan = await queryPlan(statement);
        expect(plan.filter((line) => /^SCAN search_/.test(line)), `${path}: ${plan}`).toEqual([]);
        expect(plan.some((line) => /^SEARCH search_\w+ USING (PRIMARY KEY|INDEX)/.test(line)), `${path}: ${plan}`).toBe(true);
      }
    }
  });
});

describe("refusals", () => {
  it("answer the error envelope", async () => {
    await expectError(await api("/search/suggest?q=%21%21", { key: a.key }), 400, "empty_query");
    await expectError(await api("/search/similarity?a=x", { key: a.key }), 400, "validation_failed");
    await expectError(await api("/search/related?q=%3F", { key: a.key }), 400, "empty_query");
    await expectError(await api("/search/cluster", { key: a.key, body: { queries: ["ok", "!!!"] } }), 400, "empty_query");
    await expectError(await api("/search/cluster", { key: a.key, body: { queries: Array(101).fill("x") } }), 400, "validation_failed");
    await expectError(await api("/search/cluster", { key: a.key, body: { queries: ["x"], extra: 1 } }), 400, "validation_failed");
    await expectError(await api("/search/statistics", { key: null }), 401, "unauthorized");
    const metricsOnly = await tenantBeside(a.tenant, true, ["metrics:read"]);
    await expectError(await api("/search/patterns", { key: metricsOnly.key }), 403, "forbidden");
  });
});
