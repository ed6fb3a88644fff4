import { readChunk } from "../datasets/records";

export type DocumentKind = "text" | "markdown" | "html" | "csv" | "json" | "pdf";

export class ExtractionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExtractionError";
  }
}

export function kindOf(contentType: string, name: string): DocumentKind | null {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  const ext = name.toLowerCase().split(".").pop() ?? "";
  if (type === "application/pdf" || ext === "pdf") return "pdf";
  if (type === "text/html" || ext === "html" || ext === "htm") return "html";
  if (type === "text/markdown" || ext === "md" || ext === "markdown") return "markdown";
  if (type === "text/csv" || ext === "csv") return "csv";
  if (type === "application/json" || ext === "json") return "json";
  if (type.startsWith("text/") || ext === "txt") return "text";
  return null;
}

/** The character a numeric reference names; U+FFFD, as HTML parsers give, for 0, a surrogate or past U+10FFFF. */
function referencedCharacter(codePoint: number): string {
  const isScalarValue = Number.isSafeInteger(codePoint) && codePoint > 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
  return isScalarValue ? String.fromCodePoint(codePoint) : "\uFFFD";
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === "#") {
      return referencedCharacter(code[1] === "x" || code[1] === "X" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10));
    }
    return named[code.toLowerCase()] ?? whole;
  });
}

/** Every string in a JSON value, with the key path it sits under: what a search should find. */
function jsonText(value: unknown, path = ""): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => jsonText(v, path));
  if (typeof value === "object") return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => jsonText(v, path ? `${path}.${k}` : k));
  return [`${path ? `${path}: ` : ""}${String(value)}`];
}

/** The text of a document that must be parsed whole: JSON (its strings, by key path) and PDF. */
async function extractWhole(bytes: Uint8Array, kind: "json" | "pdf"): Promise<string> {
  if (kind === "pdf") {
    // Loaded on first use: pdf.js is half the bundle, and only PDF documents need it.
    const { extractText, getDocumentProxy } = await import("unpdf");
    const pdf = await getDocumentProxy(bytes);
    const { text } = await extractText(pdf, { mergePages: true });
    return text.trim();
  }
  return jsonText(JSON.parse(new TextDecoder().decode(bytes))).join("\n");
}

/** Extracted text goes to R2 in segments of about this many characters. */
export const SEGMENT_CHARS = 1024 * 1024;
/** Bytes of a document read at a time, for the kinds that can be read in pieces. */
const READ_BYTES = 1024 * 1024;

/** Collects extracted text and stores it a segment at a time. */
export class SegmentWriter {
  private buffer = "";
  segments = 0;
  length = 0;

  constructor(private readonly put: (index: number, text: string) => Promise<void>) {}

  async write(text: string): Promise<void> {
    this.buffer += text;
    this.length += text.length;
    if (this.buffer.length >= SEGMENT_CHARS) await this.flush();
  }

  async finish(): Promise<void> {
    if (this.buffer.length > 0 || this.segments === 0) await this.flush();
  }

  private async flush() {
    const text = this.buffer;
    this.buffer = "";
    await this.put(this.segments++, text);
  }
}

/**
 * Extracts a stored document's text into `out`. Plain text, Markdown, CSV and HTML are read in
 * pieces, so memory stays flat whatever their size; JSON and PDF must be parsed whole.
 */
export async function extractStored(bucket: R2Bucket, key: string, size: number, kind: DocumentKind, out: SegmentWriter): Promise<void> {
  try {
    if (kind === "text" || kind === "markdown") {
      const decoder = new TextDecoder();
      for (let offset = 0; offset < size; offset += READ_BYTES) {
        const object = await bucket.get(key, { range: { offset, length: Math.min(READ_BYTES, size - offset) } });
        if (!object) throw new Error("the document's bytes vanished");
        await out.write(decoder.decode(new Uint8Array(await object.arrayBuffer()), { stream: offset + READ_BYTES < size }));
      }
    } else if (kind === "csv") {
      let header: string[] | undefined;
      for (let offset = 0; offset < size; ) {
        const chunk = await readChunk(bucket, key, "csv", size, offset, READ_BYTES, header);
        header = chunk.header ?? header;
        const lines = chunk.records.flatMap((r) => ("values" in r ? [Object.entries(r.values).map(([k, v]) => `${k}: ${String(v)}`).join("; ")] : []));
        if (lines.length > 0) await out.write(`${lines.join("\n")}\n`);
        offset = chunk.nextOffset;
      }
    } else if (kind === "html") {
      const object = await bucket.get(key);
      if (!object) throw new Error("the document's bytes vanished");
      let skipping = 0;
      const rewriter = new HTMLRewriter()
        .on("script, style, noscript, template, head", {
          element(el) {
            skipping++;
            el.onEndTag(() => void skipping--);
          },
        })
        .on("p, div, br, li, h1, h2, h3, h4, h5, h6, tr, section, article, header, footer", {
          element(el) {
            el.onEndTag(() => out.write("\n"));
            return out.write("\n");
          },
        })
        .on("*", {
          text(chunk) {
            if (skipping === 0 && chunk.text !== "") return out.write(decodeEntities(chunk.text).replace(/[ \t]+/g, " "));
          },
        });
      await rewriter.transform(new Response(object.body)).arrayBuffer();
    } else {
      const object = await bucket.get(key);
      if (!object) throw new Error("the document's bytes vanished");
      await out.write(await extractWhole(new Uint8Array(await object.arrayBuffer()), kind));
    }
    await out.finish();
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    throw new ExtractionError(`cannot read the ${kind} document: ${(err as Error).message}`);
  }
}
