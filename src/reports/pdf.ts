import type { PDFFont } from "pdf-lib";

const PAGE = { width: 595.28, height: 841.89 }; // A4 in points
const MARGIN = 56;
const BODY_SIZE = 11;
const HEADING_SIZES = [20, 16, 13.5];
const LINE_SPACING = 1.4;

interface Line {
  text: string;
  font: PDFFont;
  size: number;
}

/** Characters the standard fonts cannot encode (WinAnsi) are replaced rather than failing the report. */
function encodable(supported: Set<number>, text: string): string {
  let out = "";
  for (const ch of text.replace(/\t/g, "    ")) out += supported.has(ch.codePointAt(0)!) ? ch : "?";
  return out;
}

/** Each character's width, measured once per font and size: wrapping adds widths up instead of re-measuring prefixes. */
function widthsOf(font: PDFFont, size: number): (ch: string) => number {
  const known = new Map<string, number>();
  return (ch) => {
    let width = known.get(ch);
    if (width === undefined) {
      width = font.widthOfTextAtSize(ch, size);
      known.set(ch, width);
    }
    return width;
  };
}

/**
 * Breaks a line of text at whitespace into lines no wider than `maxWidth`; a word wider than a
 * whole line is cut where it overflows. Linear in the text: each character is measured and
 * copied once. (Widths are summed without kerning, as `drawText` draws them.)
 */
function wrap(text: string, widthOf: (ch: string) => number, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = "";
  let lineWidth = 0;
  const breakLine = () => {
    lines.push(line.trimEnd());
    line = "";
    lineWidth = 0;
  };
  for (const word of text.split(/(\s+)/)) {
    if (word === "") continue;
    const chars = Array.from(word);
    const widths = chars.map(widthOf);
    const wordWidth = widths.reduce((sum, w) => sum + w, 0);
    if (line !== "" && lineWidth + wordWidth > maxWidth) {
      breakLine();
      if (/^\s/.test(word)) continue; // the space a line breaks at is not carried over
    }
    if (lineWidth + wordWidth <= maxWidth) {
      line += word;
      lineWidth += wordWidth;
      continue;
    }
    chars.forEach((ch, i) => {
      if (line !== "" && lineWidth + widths[i]! > maxWidth) breakLine();
      line += ch;
      lineWidth += widths[i]!;
    });
  }
  lines.push(line.trimEnd());
  return lines;
}

/** Consecutive lines of one style on one page, drawn as one block of text starting at `y`. */
interface Run {
  y: number;
  lines: Line[];
}

/** Lines placed on pages, top to bottom, in runs of one style (one text operator each, not one per line). */
function paginate(lines: Line[]): Run[][] {
  const pages: Run[][] = [[]];
  let y = PAGE.height - MARGIN;
  let previous: Line | null = null;
  for (const line of lines) {
    const height = line.size * LINE_SPACING;
    if (y - height < MARGIN) {
      pages.push([]);
      y = PAGE.height - MARGIN;
      previous = null;
    }
    y -= height;
    const page = pages.at(-1)!;
    if (previous?.font === line.font && previous.size === line.size) page.at(-1)!.lines.push(line);
    else page.push({ y, lines: [line] });
    previous = line;
  }
  return pages;
}

/**
 * Lays rendered text out as an A4 PDF: lines starting with `#`, `##` or `###` become headings,
 * everything else is body text, wrapped and paginated. The document carries no timestamps, so
 * the same text always gives the same bytes (and the same content hash).
 */
export async function textToPdf(text: string, title: string): Promise<Uint8Array> {
  // Loaded on first use: most isolates never render a PDF, and pdf-lib's fonts cost start-up time.
  const { PDFDocument, StandardFonts, rgb } = await import("pdf-lib");
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(title);
  doc.setProducer("edge-jobs");
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const width = PAGE.width - 2 * MARGIN;
  const styles = [{ font: regular, size: BODY_SIZE }, ...HEADING_SIZES.map((size) => ({ font: bold, size }))].map((style) => ({
    ...style,
    supported: new Set(style.font.getCharacterSet()),
    widthOf: widthsOf(style.font, style.size),
  }));

  const lines: Line[] = [];
  for (const raw of text.replace(/\r\n?/g, "\n").split("\n")) {
    const heading = /^(#{1,3})\s+(.*)$/.exec(raw);
    const style = styles[heading ? heading[1]!.length : 0]!;
    for (const part of wrap(encodable(style.supported, heading ? heading[2]! : raw), style.widthOf, width)) {
      lines.push({ text: part, font: style.font, size: style.size });
    }
  }

  for (const page of paginate(lines)) {
    const pdfPage = doc.addPage([PAGE.width, PAGE.height]);
    for (const run of page) {
      const { font, size } = run.lines[0]!;
      const text = run.lines.map((l) => l.text).join("\n");
      pdfPage.drawText(text, { x: MARGIN, y: run.y, size, font, lineHeight: size * LINE_SPACING, color: rgb(0, 0, 0) });
    }
    // A long document is laid out a page at a time, giving the isolate back to other requests between pages.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return doc.save({ useObjectStreams: false });
}
