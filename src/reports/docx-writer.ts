import {
  AlignmentType,
  Document,
  ExternalHyperlink,
  HeadingLevel,
  LevelFormat,
  Packer,
  Paragraph,
  type ParagraphChild,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from "docx";
import { unzipSync, zipSync } from "fflate";
import { Lexer, type Token, type Tokens } from "marked";
import { DocxLimitError, MAX_DOCX_PARTS } from "./docx";

type Block = Paragraph | Table;

/** How inline text is styled where it stands (inside `**…**`, a link, a table's header row…). */
interface Marks {
  bold?: boolean;
  italics?: boolean;
  strike?: boolean;
  code?: boolean;
  link?: boolean;
}

const MONOSPACE = "Courier New";
const HEADINGS = ["HEADING_1", "HEADING_2", "HEADING_3", "HEADING_4", "HEADING_5", "HEADING_6"] as const;
/** Ordered lists share one numbering definition; each list is an instance of it, so each counts from its own start. */
const ORDERED = "ordered";
const LIST_LEVELS = 9;
/** The zip entries carry this time (the earliest DOS time), so the same text always gives the same bytes. */
const FIXED_TIME = new Date(1980, 0, 1);

const escapeXml = (text: string) => text.replace(/[&<>"]/g, (ch) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot" }[ch]};`);

/** Turns Markdown into Word paragraphs and tables; one instance per document (it numbers the ordered lists). */
class DocxWriter {
  private orderedLists = 0;
  private parts = 0;

  /** Counts `n` more parts against MAX_DOCX_PARTS. */
  private count<T>(made: T, n = 1): T {
    this.parts += n;
    if (this.parts > MAX_DOCX_PARTS) throw new DocxLimitError();
    return made;
  }

  blocks(tokens: Token[], quoteDepth = 0): Block[] {
    return tokens.flatMap((token) => this.block(token as Tokens.Generic, quoteDepth));
  }

  private block(token: Tokens.Generic, quoteDepth: number): Block[] {
    const made = this.make(token, quoteDepth);
    // Lists count their own paragraphs and tables their cells; what else a block made is one paragraph each.
    return token.type === "list" || token.type === "table" || token.type === "blockquote" ? made : this.count(made, made.length);
  }

  private make(token: Tokens.Generic, quoteDepth: number): Block[] {
    const indent = quoteDepth > 0 ? { indent: { left: 567 * quoteDepth } } : {};
    switch (token.type) {
      case "heading": {
        const heading = HeadingLevel[HEADINGS[Math.min(token.depth, 6) - 1]!];
        return [new Paragraph({ heading, children: this.inline(token.tokens ?? []), ...indent })];
      }
      case "paragraph":
        return [new Paragraph({ children: this.inline(token.tokens ?? []), ...indent })];
      case "list":
        return this.list(token as Tokens.List, 0);
      case "table":
        return [this.table(token as Tokens.Table)];
      case "code":
        return String(token.text).split("\n").map((line) => new Paragraph({ children: [new TextRun({ text: line, font: MONOSPACE })], ...indent }));
      case "blockquote":
        return this.blocks(token.tokens ?? [], quoteDepth + 1);
      case "hr":
        return [new Paragraph({ thematicBreak: true, children: [] })];
      case "space":
      case "def":
        return [];
      default:
        // Text outside any block (html, or an extension's token): kept as a plain paragraph.
        return [new Paragraph({ children: token.tokens ? this.inline(token.tokens) : [new TextRun(String(token.text ?? token.raw))], ...indent })];
    }
  }

  /** A list's items as list paragraphs; what an item holds besides its text follows it, nested lists one level in. */
  private list(list: Tokens.List, level: number): Block[] {
    const instance = list.ordered ? ++this.orderedLists : 0;
    const numbering = list.ordered
      ? { numbering: { reference: ORDERED, level, instance } }
      : { bullet: { level } };
    return list.items.flatMap((item) => {
      const [first, ...rest] = item.tokens;
      const lead = first && (first.type === "text" || first.type === "paragraph") ? first : undefined;
      const checkbox = item.task ? [new TextRun(item.checked ? "☒ " : "☐ ")] : [];
      const text = lead ? this.inline((lead as Tokens.Text).tokens ?? [{ type: "text", raw: lead.raw, text: (lead as Tokens.Text).text } as Token]) : [];
      const paragraph = this.count(new Paragraph({ ...numbering, children: [...checkbox, ...text] }));
      const nested = (lead ? rest : item.tokens).flatMap((t) =>
        t.type === "list" ? this.list(t as Tokens.List, Math.min(level + 1, LIST_LEVELS - 1)) : this.block(t as Tokens.Generic, 0),
      );
      return [paragraph, ...nested];
    });
  }

  private table(table: Tokens.Table): Table {
    const alignments = { left: AlignmentType.LEFT, center: AlignmentType.CENTER, right: AlignmentType.RIGHT };
    this.count(null, (table.rows.length + 1) * (2 * table.header.length + 1));
    const cell = (c: Tokens.TableCell, marks: Marks) =>
      new TableCell({
        children: [new Paragraph({ children: this.inline(c.tokens, marks), ...(c.align ? { alignment: alignments[c.align] } : {}) })],
      });
    const rows = [
      new TableRow({ tableHeader: true, children: table.header.map((c) => cell(c, { bold: true })) }),
      ...table.rows.map((row) => new TableRow({ children: row.map((c) => cell(c, {})) })),
    ];
    return new Table({ rows, width: { size: 100, type: WidthType.PERCENTAGE } });
  }

  /** Inline Markdown as runs of text: bold, italics, strikethrough, code and links carry their style down. */
  inline(tokens: Token[], marks: Marks = {}): ParagraphChild[] {
    const run = (text: string) =>
      this.count(new TextRun({
        text,
        ...(marks.bold ? { bold: true } : {}),
        ...(marks.italics ? { italics: true } : {}),
        ...(marks.strike ? { strike: true } : {}),
        ...(marks.code ? { font: MONOSPACE } : {}),
        ...(marks.link ? { style: "Hyperlink" } : {}),
      }));
    return tokens.flatMap((token): ParagraphChild[] => {
      const t = token as Tokens.Generic;
      switch (t.type) {
        case "strong":
          return this.inline(t.tokens ?? [], { ...marks, bold: true });
        case "em":
          return this.inline(t.tokens ?? [], { ...marks, italics: true });
        case "del":
          return this.inline(t.tokens ?? [], { ...marks, strike: true });
        case "codespan":
          return [this.count(new TextRun({ text: String(t.text), font: MONOSPACE, ...(marks.bold ? { bold: true } : {}) }))];
        case "br":
          return [this.count(new TextRun({ text: "", break: 1 }))];
        case "link":
          return [new ExternalHyperlink({ link: String(t.href), children: this.inline(t.tokens ?? [], { ...marks, link: true }) as never })];
        case "image":
          return [run(String(t.text || t.href))];
        default:
          return t.tokens ? this.inline(t.tokens, marks) : [run(String(t.text ?? t.raw))];
      }
    });
  }
}

/** Decimal numbering at every level, indented a step further each level, for the ordered lists. */
function orderedNumbering() {
  const levels = Array.from({ length: LIST_LEVELS }, (_, level) => ({
    level,
    format: LevelFormat.DECIMAL,
    text: `%${level + 1}.`,
    alignment: AlignmentType.START,
    style: { paragraph: { indent: { left: 720 * (level + 1), hanging: 360 } } },
  }));
  return { config: [{ reference: ORDERED, levels }] };
}

/** The document's core properties, with no creation or change time: the same text always gives the same bytes. */
const coreProperties = (title: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>${escapeXml(title)}</dc:title><dc:creator>edge-jobs</dc:creator></cp:coreProperties>`;

/**
 * A Word document of the Markdown `text` (see markdownToDocx in ./docx, which loads this module on
 * first use). docx zips with the time of day; the package is zipped again with a fixed time.
 */
export async function buildDocx(text: string, title: string): Promise<Uint8Array> {
  const children = new DocxWriter().blocks(Lexer.lex(text.replace(/\r\n?/g, "\n"), { gfm: true }));
  const doc = new Document({
    title,
    creator: "edge-jobs",
    numbering: orderedNumbering(),
    sections: [{ children }],
  });
  const packed = new Uint8Array(await Packer.toArrayBuffer(doc, undefined, [{ path: "docProps/core.xml", data: coreProperties(title) }]));
  return zipSync(numberLinks(unzipSync(packed)), { mtime: FIXED_TIME });
}

const DOCUMENT = "word/document.xml";
const DOCUMENT_RELATIONSHIPS = "word/_rels/document.xml.rels";

/** docx names each hyperlink's relationship with a random id: renamed `rIdLink<n>` in document order. */
function numberLinks(files: Record<string, Uint8Array>): Record<string, Uint8Array> {
  const document = new TextDecoder().decode(files[DOCUMENT]);
  const ids = [...new Set([...document.matchAll(/<w:hyperlink [^>]*r:id="([^"]+)"/g)].map((m) => m[1]!))];
  if (ids.length === 0) return files;
  const names = new Map(ids.map((id, i) => [id, `rIdLink${i + 1}`]));
  const rename = (xml: string) => xml.replace(/"(rId[^"]+)"/g, (quoted, id: string) => (names.has(id) ? `"${names.get(id)}"` : quoted));
  const encode = (xml: string) => new TextEncoder().encode(xml);
  return {
    ...files,
    [DOCUMENT]: encode(rename(document)),
    [DOCUMENT_RELATIONSHIPS]: encode(rename(new TextDecoder().decode(files[DOCUMENT_RELATIONSHIPS]))),
  };
}
