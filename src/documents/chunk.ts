import { z } from "@hono/zod-openapi";

/**
 * The most chunks one document may have: the shared database holds every tenant's chunks, so one
 * document cannot fill it. At the default chunk size that is about 40 million characters of text.
 */
export const MAX_CHUNKS_PER_DOCUMENT = 50_000;

export const OVERLAP_RULE = "chunkOverlap must be less than half of chunkSize";

/** How a document's text is cut: the fields wherever chunk options are accepted. */
export const chunkOptionFields = {
  chunkSize: z.number().int().min(100).max(20_000).default(1_000).describe(`Characters per chunk; a document may have at most ${MAX_CHUNKS_PER_DOCUMENT} chunks.`),
  chunkOverlap: z.number().int().min(0).max(5_000).default(200).describe(`Characters shared by neighbouring chunks: ${OVERLAP_RULE}.`),
};

/** Whether chunk options keep to `OVERLAP_RULE`: with an overlap of half or more, chunks barely move on. */
export function overlapAllowed(options: { chunkSize: number; chunkOverlap: number }): boolean {
  return options.chunkOverlap * 2 < options.chunkSize;
}

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
    this.buffer = text.slice(this.nextStart(text, end));
    return chunk ? [chunk] : [];
  }

  /**
   * Where the chunk after `text.slice(0, end)` starts: `overlap` before `end`, moved back to the
   * start of a word, but by at most half the step, so every chunk moves the text well on even
   * through long words; past that, forward to the next word, or at `end`.
   */
  private nextStart(text: string, end: number): number {
    const nominal = Math.max(1, end - this.overlap);
    if (nominal >= end) return end;
    const startsWord = (i: number) => /\s/.test(text[i - 1]!);
    for (let i = nominal; i >= Math.ceil(nominal / 2); i--) if (startsWord(i)) return i;
    for (let i = nominal + 1; i < end; i++) if (startsWord(i)) return i;
    return end;
  }
}

export function chunkText(text: string, size: number, overlap: number): string[] {
  const chunker = new Chunker(size, overlap);
  return [...chunker.push(text), ...chunker.finish()];
}
