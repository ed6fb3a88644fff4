/**
 * D1 allows 100 bound parameters per statement, so bulk statements take their rows as one JSON
 * parameter. This splits rows so that each parameter stays well under the 2 MB value limit.
 *
 * Statements that read several fields of each row use `jsonb_each`: it parses the parameter once
 * and hands each row over as binary JSON, which `->>` reads without parsing. (`json_each` hands
 * each row over as text, which every `->>` parses again.)
 */
export function jsonChunks<T>(rows: T[], maxBytes = 900_000): string[] {
  // Most calls fit in one parameter, and one stringify of the array is much cheaper than one per row.
  const whole = JSON.stringify(rows);
  if (whole.length <= maxBytes || rows.length <= 1) return rows.length === 0 ? [] : [whole];
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (current.length > 0 && size + text.length + 1 > maxBytes) {
      chunks.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(text);
    size += text.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(",")}]`);
  return chunks;
}

/**
 * A row for a bulk statement with its null fields left out: smaller rows are cheaper to send and
 * to parse, and a missing key reads as NULL all the same.
 */
export function withoutNulls<T extends object>(row: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key in row) if (row[key] !== null) out[key] = row[key];
  return out;
}
