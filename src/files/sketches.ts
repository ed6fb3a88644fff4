/**
 * Fixed-size summaries of a column's values, whatever the file's size: a distinct-count estimate
 * (exact up to EXACT_DISTINCT values, then HyperLogLog) and the most frequent values (Misra-Gries).
 * Both are plain data between durable steps (`state()` and the constructors).
 */

/** Up to this many distinct values are counted exactly (by a 53-bit hash of each). */
export const EXACT_DISTINCT = 1_000;
/** HyperLogLog's 2^12 registers: a standard error of 1.04 / sqrt(4096), about 1.6%. */
const P = 12;
const M = 1 << P;
const TWO_32 = 2 ** 32;
/** The low bits of the second hash that, beside the first, tell values apart in the exact set. */
const LOW_BITS = 2 ** 21;

/** A 32-bit hash of the text's UTF-16 code units (a multiply-shift per unit, then murmur3's finaliser). */
function hash32(text: string, seed: number): number {
  let h = seed ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface DistinctState {
  /** The values' hashes while there are at most EXACT_DISTINCT of them; null once counting has moved to the registers. */
  exact: number[] | null;
  /** base64 of the HyperLogLog registers, once `exact` is null. */
  registers: string | null;
}

const toBase64 = (bytes: Uint8Array) => {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
};
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** Counts distinct values: exactly while few, by HyperLogLog after. */
export class DistinctCounter {
  private exact: Set<number> | null;
  private registers: Uint8Array | null;

  constructor(state: DistinctState = { exact: [], registers: null }) {
    this.exact = state.exact ? new Set(state.exact) : null;
    this.registers = state.registers ? fromBase64(state.registers) : null;
  }

  add(key: string): void {
    const high = hash32(key, 0x9747b28c);
    if (this.exact) {
      this.exact.add(high * LOW_BITS + (hash32(key, 0x2f2e1d1c) % LOW_BITS));
      if (this.exact.size > EXACT_DISTINCT) this.toRegisters();
      return;
    }
    this.record(high);
  }

  private record(hash: number) {
    const index = hash >>> (32 - P);
    const rest = (hash << P) >>> 0;
    const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
    if (rank > this.registers![index]!) this.registers![index] = rank;
  }

  private toRegisters() {
    this.registers = new Uint8Array(M);
    for (const key of this.exact!) this.record(Math.floor(key / LOW_BITS));
    this.exact = null;
  }

  /** Whether `estimate()` is a count rather than an estimate. */
  get isExact(): boolean {
    return this.exact !== null;
  }

  estimate(): number {
    if (this.exact) return this.exact.size;
    const registers = this.registers!;
    let sum = 0;
    let zeros = 0;
    for (const r of registers) {
      sum += 2 ** -r;
      if (r === 0) zeros += 1;
    }
    const raw = ((0.7213 / (1 + 1.079 / M)) * M * M) / sum;
    // The small- and large-range corrections of the HyperLogLog paper (Flajolet et al., 2007).
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    if (raw > TWO_32 / 30) return Math.round(-TWO_32 * Math.log(1 - raw / TWO_32));
    return Math.round(raw);
  }

  state(): DistinctState {
    return this.exact ? { exact: [...this.exact], registers: null } : { exact: null, registers: toBase64(this.registers!) };
  }
}

/** Counters the frequent-values summary keeps: any value making up more than 1/65 of the column is among them. */
export const FREQUENT_COUNTERS = 64;

export interface FrequentState {
  counters: [string, number][];
  /** False once a decrement has made the counts lower bounds. */
  exact: boolean;
}

/**
 * Misra-Gries: at most FREQUENT_COUNTERS counters; a new value when all are taken takes one from
 * each instead (and is dropped), so each count is at most (values seen) / (counters + 1) short.
 * The decrements never outnumber the increments, so the work per value is constant on average.
 */
export class FrequentValues {
  private readonly counters: Map<string, number>;
  private exact: boolean;

  constructor(state: FrequentState = { counters: [], exact: true }) {
    this.counters = new Map(state.counters);
    this.exact = state.exact;
  }

  add(key: string): void {
    const count = this.counters.get(key);
    if (count !== undefined) this.counters.set(key, count + 1);
    else if (this.counters.size < FREQUENT_COUNTERS) this.counters.set(key, 1);
    else {
      this.exact = false;
      for (const [k, c] of this.counters) {
        if (c === 1) this.counters.delete(k);
        else this.counters.set(k, c - 1);
      }
    }
  }

  /** The `n` most frequent values, most first (ties in key order), and whether their counts are exact. */
  top(n: number): { values: [string, number][]; exact: boolean } {
    const sorted = [...this.counters].sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0));
    return { values: sorted.slice(0, n), exact: this.exact };
  }

  state(): FrequentState {
    return { counters: [...this.counters], exact: this.exact };
  }
}
