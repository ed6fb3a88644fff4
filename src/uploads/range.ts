/** What a `Range` header asks of a representation (RFC 9110 §14): all of it, one part, or nothing it has. */
export type ByteRange = { kind: "whole" } | { kind: "part"; offset: number; length: number } | { kind: "unsatisfiable" };

/** One range of the bytes unit (case-insensitive): `a-b`, `a-` or `-n`. */
const SINGLE_BYTE_RANGE = /^bytes=(\d*)-(\d*)$/i;

const WHOLE: ByteRange = { kind: "whole" };
const UNSATISFIABLE: ByteRange = { kind: "unsatisfiable" };

/**
 * Reads a `Range` header against a representation of `size` bytes. Other units, malformed headers
 * and several ranges are answered with the whole body, as RFC 9110 allows (a server may ignore
 * Range); a range starting at or past the end, ending before its start, or a zero suffix, is
 * unsatisfiable. An end past the last byte is clamped to it.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange {
  const match = header === undefined ? null : SINGLE_BYTE_RANGE.exec(header.trim());
  if (!match) return WHOLE;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return WHOLE;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return UNSATISFIABLE;
    const length = Math.min(suffix, size);
    return { kind: "part", offset: size - length, length };
  }
  const start = Number(first);
  if (start >= size || (last !== "" && Number(last) < start)) return UNSATISFIABLE;
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: "part", offset: start, length: end - start + 1 };
}
