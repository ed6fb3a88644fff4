import { PDFDocument, type PDFFont, StandardFonts, rgb } from "pdf-lib";

const PAGE = { width: 595.28, height: 841.89 }; // A4 in points
const MARGIN = 56;
const BODY_SIZE = 11;
const HEADING_SIZES = [20, 16, 13.5];

interface Line {
  text: string;
  font: PDFFont;
  size: number;
}

/** Characters the standard fonts cannot encode (WinAnsi) are replaced rather than failing the report. */
function encodable(font: PDFFont, text: string): string {
  const supported = new Set(font.getCharacterSet());
  let out = "";
  for (const ch of text.replace(/\t/g, "    ")) out += supported.has(ch.codePointAt(0)!) ? ch : "?";
  return out;
}

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  if (text === "") return [""];
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(/(\s+)/)) {
    const candidate = current + word;
    if (font.widthOfTextAtSize(candidate, size) <= width || current === "") {
      current = candidate;
      // A single word wider than the line is cut where it overflows.
      while (font.widthOfTextAtSize(current, size) > width && current.length > 1) {
        let cut = current.length - 1;
        while (cut > 1 && font.widthOfTextAtSize(current.slice(0, cut), size) > width) cut--;
        lines.push(current.slice(0, cut));
        current = current.slice(cut);
      }
    } else {
      lines.push(current.trimEnd());
      current = word.trimStart();
    }
  }
  lines.push(current.trimEnd());
  return lines;
}

/**
 * Lays rendered text out as an A4 PDF: lines starting with `#`, `##` or `###` become headings,
 * everything else is body text, wrapped and paginated. The document carries no timestamps, so
 * the same text always gives the same bytes (and the same content hash).
 */
export async function textToPdf(text: string, title: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(title);
  doc.setProducer("edge-jobs");
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const width = PAGE.width - 2 * MARGIN;

  const lines: Line[] = [];
  for (const raw of text.replace(/\r\n?/g, "\n").split("\n")) {
    const heading = /^(#{1,3})\s+(.*)$/.exec(raw);
    const font = heading ? bold : regular;
    const size = heading ? HEADING_SIZES[heading[1]!.length - 1]! : BODY_SIZE;
    for (const part of wrap(encodable(font, heading ? heading[2]! : raw), font, size, width)) lines.push({ text: part, font, size });
  }

  let page = doc.addPage([PAGE.width, PAGE.height]);
  let y = PAGE.height - MARGIN;
  for (const line of lines) {
    const height = line.size * 1.4;
    if (y - height < MARGIN) {
      page = doc.addPage([PAGE.width, PAGE.height]);
      y = PAGE.height - MARGIN;
    }
    y -= height;
    if (line.text !== "") page.drawText(line.text, { x: MARGIN, y, size: line.size, font: line.font, color: rgb(0, 0, 0) });
  }
  return doc.save({ useObjectStreams: false });
}
