import { count, countDistinct, desc, sql, sum } from "drizzle-orm";
import { marketplaceTemplateTags, marketplaceTemplates } from "../db/schema";
import type { Statistics } from "../schemas/marketplace";
import { marketplaceDb } from "./db";

const mt = marketplaceTemplates;

/** The marketplace in numbers, read in one batch (each statement reads the listings or tags once). */
export async function statistics(env: Env): Promise<Statistics> {
  const db = marketplaceDb(env);
  const [[totals], formats, tags] = await db.batch([
    db
      .select({
        templates: count(),
        authors: countDistinct(mt.publisher),
        downloads: sum(mt.downloads).mapWith(Number),
        reviews: sum(mt.ratingCount).mapWith(Number),
        stars: sum(mt.ratingSum).mapWith(Number),
      })
      .from(mt),
    db.select({ format: mt.format, n: count() }).from(mt).groupBy(mt.format),
    db
      .select({ tag: marketplaceTemplateTags.tag, templates: count() })
      .from(marketplaceTemplateTags)
      .groupBy(marketplaceTemplateTags.tag)
      .orderBy(desc(sql`count(*)`), marketplaceTemplateTags.tag)
      .limit(10),
  ]);
  const reviews = totals?.reviews ?? 0;
  return {
    templates: totals?.templates ?? 0,
    authors: totals?.authors ?? 0,
    downloads: totals?.downloads ?? 0,
    reviews,
    averageRating: reviews > 0 ? (totals?.stars ?? 0) / reviews : null,
    formats: Object.fromEntries(formats.map((f) => [f.format, f.n])),
    topTags: tags,
  };
}
