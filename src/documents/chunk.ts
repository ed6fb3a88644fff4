/**
 * Splits text into chunks of at most `size` characters, each starting `size - overlap` after the
 * previous one, with cuts moved back to whitespace where possible so words stay whole.
 */
export function chunkText(text: string, size: number, overlap: number): string[] {
  const clean = text.replace(/\r\n?/g, "\n").trim();
  if (clean === "") return [];
  const chunks: string[] = [];
  let start = 0;
  while (start < clean.length) {
    let end = Math.min(clean.length, start + size);
    if (end < clean.length) {
      const space = clean.lastIndexOf(" ", end) > clean.lastIndexOf("\n", end) ? clean.lastIndexOf(" ", end) : clean.lastIndexOf("\n", end);
      if (space > start + size / 2) end = space;
    }
    chunks.push(clean.slice(start, end).trim());
    if (end >= clean.length) break;
    let next = Math.max(start + 1, end - overlap);
    // Start the next chunk at a word boundary too.
    while (next > start + 1 && next < end && !/\s/.test(clean[next - 1]!)) next--;
    start = next <= start ? end : next;
  }
  return chunks.filter((c) => c !== "");
}
