/**
 * How queries and indexed text become tokens, the same way for both: Unicode compatibility forms,
 * diacritics removed, lower case, cut at anything that is not a letter or a digit (as FTS5's
 * unicode61 tokenizer cuts, before its Porter stemming, which this does not do).
 */
export function tokens(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 0);
}

/**
 * The longest normalized query kept: longer ones are aggregated by their first whole tokens up to
 * this length, which also bounds every edit distance computed over them.
 */
export const MAX_NORMALIZED_LENGTH = 120;

/** A query's aggregation key: its tokens joined by single spaces, at most MAX_NORMALIZED_LENGTH characters. */
export function normalize(query: string): string {
  let out = "";
  for (const token of tokens(query)) {
    const next = out ? `${out} ${token}` : token;
    if (next.length > MAX_NORMALIZED_LENGTH) return out || token.slice(0, MAX_NORMALIZED_LENGTH);
    out = next;
  }
  return out;
}

export const DAY_MS = 86_400_000;

/** The UTC day of a time, as days since the epoch (the aggregates' `day`). */
export const dayOf = (at: number) => Math.floor(at / DAY_MS);

/** A day number as YYYY-MM-DD. */
export const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * The upper bound of a prefix range: every string starting with `prefix` sorts below it (SQLite's
 * BINARY collation compares UTF-8 bytes, and U+10FFFF encodes as the largest sequence).
 */
export const prefixEnd = (prefix: string) => `${prefix}\u{10FFFF}`;

/** Terms worth completing to: not single characters, not numbers, not run-on strings. */
export const isVocabularyTerm = (token: string) => token.length >= 2 && token.length <= 40 && !/^\p{N}+$/u.test(token);
