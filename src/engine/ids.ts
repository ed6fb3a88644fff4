const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_CHARS = 10;

function encodeTime(ms: number): string {
  let out = "";
  let value = Math.floor(ms);
  for (let i = 0; i < TIME_CHARS; i++) {
    out = CROCKFORD[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function randomChars(count: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(count));
  let out = "";
  for (const b of bytes) out += CROCKFORD[b % 32];
  return out;
}

/**
 * Time-ordered ids (ULID layout behind a prefix): sorting by id sorts by creation time, so list
 * pages and created-at filters are primary-key ranges.
 */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${encodeTime(now)}${randomChars(16)}`;
}

/** The smallest id that could have been created at `ms`: ids created at or after `ms` compare >= it. */
export function idLowerBound(prefix: string, ms: number): string {
  return `${prefix}_${encodeTime(ms)}`;
}

/** `idLowerBound` as SQL, of the millisecond value of `msExpression` (SQL), for bounds computed per row. */
export function idLowerBoundSql(prefix: string, msExpression: string): string {
  const chars = Array.from({ length: TIME_CHARS }, (_, i) => {
    const shift = 5 * (TIME_CHARS - 1 - i);
    return `substr('${CROCKFORD}', ((CAST(${msExpression} AS INTEGER) >> ${shift}) & 31) + 1, 1)`;
  });
  return `('${prefix}_' || ${chars.join(" || ")})`;
}

export function base64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
