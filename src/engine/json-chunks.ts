/**
 * D1 allows 100 bound parameters per statement, so bulk statements take their rows as one JSON
 * parameter read with `json_each`. This splits rows so that each parameter stays well under the
 * 2 MB value limit.
 */
export function jsonChunks<T>(rows: T[], maxBytes = 900_000): string[] {
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
 * A row for a bulk statement with its null fields left out: SQLite parses each row's JSON to read
 * it, so smaller rows make cheaper statements, and a missing key reads as NULL all the same.
 */
export function withoutNulls<T extends object>(row: T): Partial<T> {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)) as Partial<T>;
}
