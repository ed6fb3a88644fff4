/**
 * docx holds a document as a tree of objects, about 2 KB of heap for each paragraph, run of text,
 * table row or cell at its peak while packing (bench: a 4,000-row table of 3 columns, 36,000 parts,
 * peaks near 68 MB): a document has at most this many, so that it packs well inside an isolate's 128 MB.
 */
export const MAX_DOCX_PARTS = 25_000;

/** A document would have more parts than MAX_DOCX_PARTS. */
export class DocxLimitError extends Error {
  constructor() {
    super(`the document would have more than ${MAX_DOCX_PARTS} paragraphs, runs of text and table cells`);
    this.name = "DocxLimitError";
  }
}

/**
 * Lays rendered Markdown out as a Word document: headings, paragraphs (bold, italics, code, links),
 * bulleted and numbered lists (nested), GFM tables, code blocks, quotes and rules, in Word's own
 * styles (src/reports/docx-writer.ts). The same text always gives the same bytes.
 */
export async function markdownToDocx(text: string, title: string): Promise<Uint8Array> {
  // Loaded on first use, as pdf-lib is: most isolates never write a Word document.
  const { buildDocx } = await import("./docx-writer");
  return buildDocx(text, title);
}
