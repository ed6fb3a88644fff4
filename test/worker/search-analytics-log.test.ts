// Search analytics checked against generated query logs whose answers are known: the logs are
// written into `search_log` as GET /search writes it, then the clock's real tick folds them. The
// fold's mark only moves forward, so every past log is written before the file's one tick.
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_QUERIES_PER_TENANT } from "../../src/search-analytics/settings";
import { api, dbOf, json, newTenant } from "./helpers";
import { DAY, type LogEntry, at, foldAll, getJson, insertLog, noonToday, seeded } from "./search-analytics-helpers";

const NOW = noonToday();
const dayAgo = (k: number, offsetMs = 0) => NOW - k * DAY + offsetMs;
/** `n` searches of `query` spread over days `from`..`to` ago, `zero` of them finding nothing. */
function searches(query: string, n: number, days: [number, number], zero = 0): LogEntry[] {
  const span = days[1] - days[0] + 1;
  return Array.from({ length: n }, (_, i) => ({ query, at: dayAgo(days[0] + (i % span), i * 1_000), results: i < zero ? 0 : 3 }));
}

const CURRENT: [number, number] = [1, 6];
const PREVIOUS: [number, number] = [7, 13];
/** The named topics, with their windows' counts stated in the test names below. */
const topics: LogEntry[] = [
  ...searches("Rent a Car", 3, CURRENT),
  ...searches("rent a car!", 3, CURRENT),
  ...searches("RENT  a car", 2, PREVIOUS),
  ...searches("car hire", 2, CURRENT),
  ...searches("rental policy", 3, CURRENT),
  ...searches("Rental policy", 3, PREVIOUS),
  ...searches("renew passport", 3, CURRENT, 2),
  ...searches("vpn setup", 1, CURRENT),
  ...searches("vpn setup", 6, PREVIOUS),
  ...searches("parking permit", 3, PREVIOUS),
  ...searches("xyzzy", 4, CURRENT, 4),
  // Past the default retention of 30 days: deleted, never counted.
  ...searches("ancient query", 2, [40, 41]),
];
const random = seeded(16_002);
const WORDS = ["alpha", "bravo", "delta", "echo", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "oscar"];
/** Noise: distinct two-word queries searched once each in the current window, some finding nothing. */
const noise: LogEntry[] = WORDS.flatMap((w, i) =>
  WORDS.slice(i + 1, i + 3).map((v) => ({ query: `${w} ${v}`, at: dayAgo(1 + Math.floor(random() * 6), Math.floor(random() * 3_600_000)), results: random() < 0.3 ? 0 : 1 })),
);

let main: { key: string; tenant: string };
let capped: { key: string; tenant: string };
let retained: { key: string; tenant: string };

beforeAll(async () => {
  main = await newTenant();
  await insertLog(main.tenant, [...topics, ...noise]);
  // More distinct queries than a tenant keeps: `q 0`..`q 999` once each (the lower the older),
  // `fresh 0`..`fresh 4` once each and later, `popular` three times.
  capped = await newTenant();
  await insertLog(capped.tenant, [
    ...Array.from({ length: MAX_QUERIES_PER_TENANT }, (_, n) => ({ query: `q ${n}`, at: dayAgo(2, n), results: 1 })),
    ...Array.from({ length: 5 }, (_, n) => ({ query: `fresh ${n}`, at: dayAgo(1, n), results: 1 })),
    ...searches("popular", 3, [3, 3]),
  ]);
  retained = await newTenant(["jobs:read", "jobs:write", "admin"]);
  await json(await api("/settings", { key: retained.key, method: "PUT", body: { search: { retentionDays: 10 } } }), 200);
  await insertLog(retained.tenant, [...searches("recent one", 2, [2, 2]), ...searches("recent one", 1, [20, 20]), ...searches("old one", 3, [20, 20], 1)]);
  await foldAll();
});

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe("patterns over a window", () => {
  it("trending: rent a car 2 → 6, xyzzy 0 → 4, renew passport 0 → 3; declining: vpn setup 6 → 1, parking permit 3 → 0", async () => {
    const p = await at(NOW, () => getJson(main.key, "/search/patterns?days=7&limit=50"));
    expect(p).toMatchObject({ days: 7, to: new Date(NOW).toISOString().slice(0, 10), from: new Date(NOW - 6 * DAY).toISOString().slice(0, 10) });
    expect(p.trending).toEqual([
      { query: "rent a car", searches: 6, previousSearches: 2, zeroResultSearches: 0, change: 4 },
      { query: "xyzzy", searches: 4, previousSearches: 0, zeroResultSearches: 4, change: 4 },
      { query: "renew passport", searches: 3, previousSearches: 0, zeroResultSearches: 2, change: 3 },
      { query: "car hire", searches: 2, previousSearches: 0, zeroResultSearches: 0, change: 2 },
    ]);
    expect(p.declining.map((q: any) => [q.query, q.change])).toEqual([["vpn setup", -5], ["parking permit", -3]]);
  });

  it("common and zero-result queries: the busiest first, then alphabetically, the noise included", async () => {
    const p = await at(NOW, () => getJson(main.key, "/search/patterns?days=7&limit=50"));
    const named: [string, number][] = [["rent a car", 6], ["xyzzy", 4], ["renew passport", 3], ["rental policy", 3], ["car hire", 2], ["vpn setup", 1]];
    const common = [...named, ...noise.map((n): [string, number] => [n.query, 1])].sort((x, y) => y[1] - x[1] || byName(x[0], y[0]));
    expect(p.common.map((q: any) => [q.query, q.searches])).toEqual(common);
    const zeroNoise = noise.filter((n) => n.results === 0).map((n) => n.query).sort(byName).map((q) => [q, 1]);
    expect(zeroNoise.length).toBeGreaterThan(0);
    expect(p.zeroResults.map((q: any) => [q.query, q.zeroResultSearches])).toEqual([["xyzzy", 4], ["renew passport", 2], ...zeroNoise]);
    const shorter = await at(NOW, () => getJson(main.key, "/search/patterns?days=7&limit=2"));
    expect(shorter.common.map((q: any) => q.query)).toEqual(["rent a car", "xyzzy"]);
  });
});

describe("suggestions and predictions from the log", () => {
  it("completes `ren` from past queries that found results: confidence = their share of such searches", async () => {
    // Found: rent a car 8, rental policy 6, renew passport 1 (of 3).
    const s = await getJson(main.key, "/search/suggest?q=ren");
    expect(s).toEqual({
      query: "ren",
      suggestions: [
        { suggestion: "rent a car", confidence: 0.5333, source: "history", relatedQueries: ["car hire"] },
        { suggestion: "rental policy", confidence: 0.4, source: "history", relatedQueries: [] },
        { suggestion: "renew passport", confidence: 0.0667, source: "history", relatedQueries: [] },
      ],
    });
    expect((await getJson(main.key, "/search/suggest?q=REN&limit=1")).suggestions.map((x: any) => x.suggestion)).toEqual(["rent a car"]);
    // xyzzy never found anything: it is never suggested.
    expect((await getJson(main.key, "/search/suggest?q=xy")).suggestions).toEqual([]);
  });

  it("offers, after a complete word, past queries that share it (semantic), weighted by TF-IDF", async () => {
    const s = await getJson(main.key, "/search/suggest?q=car%20");
    expect(s.query).toBe("car ");
    // `car hire` starts with the prefix (history, its only match: 1); `rent a car` shares the word.
    expect(s.suggestions.map((x: any) => [x.suggestion, x.source])).toEqual([["car hire", "history"], ["rent a car", "semantic"]]);
    expect(s.suggestions[0].confidence).toBe(1);
    const sim = await getJson(main.key, "/search/similarity?a=car&b=rent%20a%20car");
    expect(s.suggestions[1].confidence).toBeCloseTo(0.5 * sim.tfidf, 3);
  });

  it("predicts zero results from the query's own history when it has one", async () => {
    const renew = await getJson(main.key, "/search/predict-zero-results?q=Renew%20Passport");
    expect(renew).toEqual({ query: "Renew Passport", normalized: "renew passport", likelihood: 0.6667, basis: "history", searches: 3, zeroResultSearches: 2, terms: [], missingTerms: [] });
    expect((await getJson(main.key, "/search/predict-zero-results?q=xyzzy")).likelihood).toBe(1);
    expect((await getJson(main.key, "/search/predict-zero-results?q=rent%20a%20car")).likelihood).toBe(0);
  });

  it("relates queries that share words, most similar first", async () => {
    const r = await getJson(main.key, "/search/related?q=car");
    expect(r.related.map((x: any) => x.query)).toEqual(["car hire", "rent a car"]);
    for (const x of r.related) expect(x.similarity).toBe((await getJson(main.key, `/search/similarity?a=car&b=${encodeURIComponent(x.query)}`)).combined);
    expect(r.related.map((x: any) => x.searches)).toEqual([2, 8]);
  });
});

describe("statistics, retention and the per-tenant bound", () => {
  it("counts every retained search, and none past the retention", async () => {
    const kept = [...topics, ...noise].filter((e) => e.at > NOW - 30 * DAY);
    const stats = await getJson(main.key, "/search/statistics");
    const zero = kept.filter((e) => e.results === 0).length;
    expect(stats).toMatchObject({ enabled: true, retentionDays: 30, searches: kept.length, zeroResultSearches: zero, distinctQueries: 7 + noise.length });
    expect(stats.zeroResultRate).toBeCloseTo(zero / kept.length, 4);
    expect(stats.averageResults).toBeCloseTo(kept.reduce((n, e) => n + e.results, 0) / kept.length, 4);
    expect(stats.days.reduce((n: number, d: any) => n + d.searches, 0)).toBe(kept.length);
    const { results } = await dbOf(main.tenant).prepare("SELECT count(*) AS n FROM search_log WHERE tenant = ? AND query = 'ancient query'").bind(main.tenant).all<{ n: number }>();
    expect(results[0]!.n).toBe(0);
  });

  it("applies a tenant's own retention to the aggregates and the log", async () => {
    const stats = await getJson(retained.key, "/search/statistics");
    expect(stats).toMatchObject({ retentionDays: 10, searches: 2, zeroResultSearches: 0, distinctQueries: 1 });
    expect((await getJson(retained.key, "/search/predict-zero-results?q=recent%20one")).searches).toBe(2);
    expect((await getJson(retained.key, "/search/predict-zero-results?q=old%20one")).basis).toBe("vocabulary");
    const { results } = await dbOf(retained.tenant).prepare("SELECT count(*) AS n FROM search_log WHERE tenant = ?").bind(retained.tenant).all<{ n: number }>();
    expect(results[0]!.n).toBe(2);
  });

  it(`keeps at most ${MAX_QUERIES_PER_TENANT} distinct queries per tenant, evicting the least searched, least recent first`, async () => {
    expect((await getJson(capped.key, "/search/statistics")).distinctQueries).toBe(MAX_QUERIES_PER_TENANT);
    const basis = async (q: string) => (await getJson(capped.key, `/search/predict-zero-results?q=${encodeURIComponent(q)}`)).basis;
    // 1,006 distinct: the six oldest single searches went.
    expect(await Promise.all(["q 0", "q 5", "q 6", "q 999", "fresh 0", "popular"].map(basis))).toEqual(["vocabulary", "vocabulary", "history", "history", "history", "history"]);
    const { results } = await dbOf(capped.tenant).prepare("SELECT count(*) AS n FROM search_query_days WHERE tenant = ? AND normalized IN ('q 0', 'q 5')").bind(capped.tenant).all<{ n: number }>();
    expect(results[0]!.n).toBe(0);
  });
});
