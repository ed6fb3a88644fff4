/**
 * Cuts text into chunks of at most `size` characters, each starting `size - overlap` after the
 * previous one, with cuts moved back to whitespace where possible so words stay whole. Text can be
 * pushed in pieces (a long document a segment at a time); the chunks are the same as for the whole.
 */
export class Chunker {
  private buffer = "";

  constructor(
    private readonly size: number,
    private readonly overlap: number,
  ) {}

  /** Adds text; returns the chunks that can no longer change. */
  push(text: string): string[] {
    this.buffer += text.replace(/\r\n?/g, "\n");
    const out: string[] = [];
    // A chunk is final once the text after its end is long enough to place the cut and the next start.
    while (this.buffer.length > this.size * 2) out.push(...this.cut(false));
    return out;
  }

  /** The remaining chunks. */
  finish(): string[] {
    const out: string[] = [];
    while (this.buffer.trim() !== "") out.push(...this.cut(true));
    return out;
  }

  private cut(atEnd: boolean): string[] {
    const text = this.buffer.replace(/^\s+/, "");
    let end = Math.min(text.length, this.size);
    if (end < text.length) {
      const cut = Math.max(text.lastIndexOf(" ", end), text.lastIndexOf("\n", end));
      if (cut > this.size / 2) end = cut;
    }
    const chunk = text.slice(0, end).trim();
    if (end >= text.length && atEnd) {
      this.buffer = "";
      return chunk ? [chunk] : [];
    }
    let next = Math.max(1, end - this.overlap);
    while (next > 1 && next < end && !/\s/.test(text[next - 1]!)) next--;
    this.buffer = text.slice(next <= 0 ? end : next);
    return chunk ? [chunk] : [];
  }
}

export function chunkText(text: string, size: number, overlap: number): string[] {
  const chunker = new Chunker(size, overlap);
  return [...chunker.push(text), ...chunker.finish()];
}
