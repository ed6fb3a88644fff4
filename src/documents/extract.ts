import { parse as parseCsv } from "csv-parse/sync";
import { extractText as extractPdfText, getDocumentProxy } from "unpdf";

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

/** The visible text of an HTML page (script, style and the like dropped), via the runtime's HTMLRewriter. */
async function htmlText(html: string): Promise<string> {
  const parts: string[] = [];
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
        parts.push("\n");
        el.onEndTag(() => void parts.push("\n"));
      },
    })
    .on("*", {
      text(chunk) {
        if (skipping === 0) parts.push(chunk.text);
      },
    });
  await rewriter.transform(new Response(html)).text();
  return decodeEntities(parts.join("")).replace(/[ \t]+/g, " ").replace(/\n\s*\n+/g, "\n\n").trim();
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === "#") {
      const n = code[1] === "x" || code[1] === "X" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return Number.isFinite(n) ? String.fromCodePoint(n) : whole;
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

/** The searchable text of a document's bytes. */
export async function extractText(bytes: Uint8Array, kind: DocumentKind): Promise<string> {
  try {
    if (kind === "pdf") {
      const pdf = await getDocumentProxy(bytes);
      const { text } = await extractPdfText(pdf, { mergePages: true });
      return text.trim();
    }
    const text = new TextDecoder().decode(bytes);
    if (kind === "html") return await htmlText(text);
    if (kind === "json") return jsonText(JSON.parse(text)).join("\n");
    if (kind === "csv") {
      const rows = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true }) as Record<string, string>[];
      return rows.map((row) => Object.entries(row).map(([k, v]) => `${k}: ${v}`).join("; ")).join("\n");
    }
    return text.trim();
  } catch (err) {
    throw new ExtractionError(`cannot read the ${kind} document: ${(err as Error).message}`);
  }
}
