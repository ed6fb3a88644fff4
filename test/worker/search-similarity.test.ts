// GET /search/similarity and POST /search/cluster, against scores worked out by hand from the
// documented formulas (src/search-analytics/similarity.ts): combined = 0.5 tfidf + 0.3 jaccard + 0.2 edit.
import { beforeAll, describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { api, json, newTenant } from "./helpers";
import { DAY, foldAll, getJson, insertLog } from "./search-analytics-helpers";

let fresh: { key: string };
let withHistory: { key: string };

beforeAll(async () => {
  fresh = await newTenant(["jobs:read"]);
  const t = await newTenant(["jobs:read"]);
  withHistory = t;
  const at = Date.now() - DAY;
  await insertLog(t.tenant, ["red car", "red bike", "red hat", "blue car"].map((query, i) => ({ query, at: at + i, results: 1 })));
  await foldAll();
});

const similarity = (key: string, a: string, b: string) => getJson(key, `/search/similarity?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

describe("GET /search/similarity", () => {
  it("with no history every word weighs the same (idf 1)", async () => {
    // tfidf: cos((1,1,0), (1,0,1)) = 1/2; jaccard: 1 of 3 words; edit: 3 of 7 characters differ.
    expect(await similarity(fresh.key, "Red car", "red bus")).toEqual({
      a: "red car", b: "red bus", tfidf: 0.5, jaccard: 0.3333, editDistance: 3, editSimilarity: 0.5714, combined: r4(0.25 + 0.1 + 0.2 * (4 / 7)),
    });
    expect(await similarity(fresh.key, "cat", "hat")).toEqual({ a: "cat", b: "hat", tfidf: 0, jaccard: 0, editDistance: 1, editSimilarity: 0.6667, combined: 0.1333 });
    expect(await similarity(fresh.key, "Wi-Fi", "wi fi")).toEqual({ a: "wi fi", b: "wi fi", tfidf: 1, jaccard: 1, editDistance: 0, editSimilarity: 1, combined: 1 });
  });

  it("weighs words by how rare they are among the tenant's past queries (TF-IDF)", async () => {
    // N = 4 queries; df(red) = 3, df(car) = 2, df(bus) = 0: idf = ln((1 + N) / (1 + df)) + 1.
    const idf = (df: number) => Math.log(5 / (1 + df)) + 1;
    const [red, car, bus] = [idf(3), idf(2), idf(0)];
    const tfidf = (red * red) / (Math.hypot(red, car) * Math.hypot(red, bus));
    const s = await similarity(withHistory.key, "red car", "red bus");
    expect(s).toEqual({ a: "red car", b: "red bus", tfidf: r4(tfidf), jaccard: 0.3333, editDistance: 3, editSimilarity: 0.5714, combined: r4(0.5 * tfidf + 0.1 + 0.2 * (4 / 7)) });
    // Sharing `car` (in 2 past queries) says more than sharing `red` (in 3).
    expect((await similarity(withHistory.key, "red car", "blue car")).tfidf).toBeGreaterThan((await similarity(withHistory.key, "red car", "red hat")).tfidf);
    expect((await similarity(fresh.key, "red car", "red bus")).tfidf).toBeGreaterThan(s.tfidf);
  });
});

describe("POST /search/cluster", () => {
  const queries = ["wifi", "wifi password", "password", "parental leave", "leave parental", "vpn", "VPN!"];

  it("joins queries through chains of similar pairs (union-find), largest group first", async () => {
    // wifi ~ wifi password: 0.3536 + 0.15 + 0.2 × 4/13 = 0.5651; wifi password ~ password: 0.3536 + 0.15 + 0.2 × 8/13 = 0.6266.
    expect((await similarity(fresh.key, "wifi", "wifi password")).combined).toBe(0.5651);
    expect((await similarity(fresh.key, "wifi password", "password")).combined).toBe(0.6266);
    expect((await similarity(fresh.key, "wifi", "password")).combined).toBeLessThan(0.55);
    const res = await api("/search/cluster", { key: fresh.key, body: { queries, threshold: 0.55 } });
    expect(await json(res, 200)).toEqual({
      threshold: 0.55,
      clusters: [
        { representative: "wifi password", queries: ["wifi", "wifi password", "password"] },
        { representative: "parental leave", queries: ["parental leave", "leave parental"] },
        { representative: "vpn", queries: ["vpn", "VPN!"] },
      ],
    });
  });

  it("at threshold 1 joins only queries that normalize alike, at 0 joins everything", async () => {
    const one = await json(await api("/search/cluster", { key: fresh.key, body: { queries, threshold: 1 } }), 200);
    expect(one.clusters.map((c: any) => c.queries)).toEqual([["vpn", "VPN!"], ["wifi"], ["wifi password"], ["password"], ["parental leave"], ["leave parental"]]);
    const zero = await json(await api("/search/cluster", { key: fresh.key, body: { queries, threshold: 0 } }), 200);
    expect(zero.clusters).toHaveLength(1);
    expect(zero.clusters[0].queries).toEqual(queries);
    // The default threshold is 0.5.
    expect((await json(await api("/search/cluster", { key: fresh.key, body: { queries: ["a b", "b a"] } }), 200)).threshold).toBe(0.5);
  });

  it("refuses thresholds outside [0, 1] and bodies past its limit", async () => {
    await expectError(await api("/search/cluster", { key: fresh.key, body: { queries, threshold: 1.5 } }), 400, "validation_failed");
    await expectError(await api("/search/cluster", { key: fresh.key, body: { queries: [], threshold: 0.5 } }), 400, "validation_failed");
    await expectError(await api("/search/cluster", { key: fresh.key, body: { queries: ["x".repeat(140_000)] } }), 413, "payload_too_large");
  });
});
