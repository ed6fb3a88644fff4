import { type ReportFormat, contentTypeOf } from "./formats";
import { TemplateRenderError, renderTemplate } from "./liquid";
import { DocxLimitError, MAX_DOCX_PARTS, markdownToDocx } from "./docx";
import { textToPdf } from "./pdf";
import { RenderLimitError } from "./render-budget";

/** A rendered report is held in memory before it is stored: larger outputs belong to streaming exports. */
export const MAX_REPORT_BYTES = 10 * 1024 * 1024;

/**
 * PDF layout costs about a millisecond of CPU per KiB of text (bench/bounds.ts) and yields to other
 * requests after each page, so a PDF may be laid out from as much text as any report renders:
 * some 2,000 pages, seconds of a consumer's CPU (wrangler.toml [limits]), a PDF of about 5 MB.
 */
export const MAX_PDF_TEXT = MAX_REPORT_BYTES;
/** Word documents are made from Markdown up to this size (and of at most MAX_DOCX_PARTS parts: src/reports/docx.ts). */
export const MAX_DOCX_TEXT = 1024 * 1024;

/** A template that cannot produce a valid report with the given context; retrying will not help. */
export class ReportRenderError extends Error {
  constructor(message: string, readonly detail?: { line: number; column: number }) {
    super(message);
    this.name = "ReportRenderError";
  }
}

/** A render stopped at one of its bounds (`limit` names it, `max` is its value); refused like any failed render. */
export class ReportLimitError extends ReportRenderError {
  constructor(
    message: string,
    readonly limit: string,
    readonly max: number,
  ) {
    super(message);
    this.name = "ReportLimitError";
  }
}

export interface RenderInput {
  body: string;
  format: ReportFormat;
  variables: Record<string, unknown>;
  /** Exposed to the template as `data`: an uploaded file's parsed content or another job's result. */
  data?: unknown;
  reportName: string;
  now?: Date;
}

export interface RenderedReport {
  bytes: Uint8Array;
  contentType: string;
}

/** Renders a Liquid template to text, with the variables, `data`, `report` and `now` in scope. */
export async function renderText(input: RenderInput): Promise<string> {
  const context = {
    ...input.variables,
    data: input.data ?? null,
    report: { name: input.reportName, format: input.format },
    now: (input.now ?? new Date()).toISOString(),
  };
  try {
    return await renderTemplate(input.body, context, { escapeHtml: input.format === "html", maxOutput: MAX_REPORT_BYTES });
  } catch (err) {
    if (err instanceof RenderLimitError) throw new ReportLimitError(`the template stopped at a limit (${err.limit}): ${err.message}`, err.limit, err.max);
    if (err instanceof TemplateRenderError) throw new ReportRenderError(`the template failed to render: ${err.message}`, err.detail);
    throw err;
  }
}

/** Turns rendered text into the bytes of its format: checks JSON, lays out PDF, builds DOCX from Markdown. */
export async function convertText(text: string, format: ReportFormat, title: string): Promise<RenderedReport> {
  if (format === "json") {
    try {
      JSON.parse(text);
    } catch (err) {
      throw new ReportRenderError(`the template did not render valid JSON: ${(err as Error).message}`);
    }
  }
  if (format === "pdf" && text.length > MAX_PDF_TEXT) {
    throw new ReportLimitError(`the template stopped at a limit (pdf_text): it rendered ${text.length} characters; a PDF is laid out from at most ${MAX_PDF_TEXT}`, "pdf_text", MAX_PDF_TEXT);
  }
  if (format === "docx" && text.length > MAX_DOCX_TEXT) {
    throw new ReportLimitError(`the template stopped at a limit (docx_text): it rendered ${text.length} characters; a Word document is made from at most ${MAX_DOCX_TEXT}`, "docx_text", MAX_DOCX_TEXT);
  }
  const bytes = format === "pdf" ? await textToPdf(text, title) : format === "docx" ? await docxOf(text, title) : new TextEncoder().encode(text);
  if (bytes.byteLength > MAX_REPORT_BYTES) {
    throw new ReportLimitError(`the rendered report is ${bytes.byteLength} bytes; at most ${MAX_REPORT_BYTES}`, "output_size", MAX_REPORT_BYTES);
  }
  return { bytes, contentType: contentTypeOf(format) };
}

async function docxOf(text: string, title: string): Promise<Uint8Array> {
  try {
    return await markdownToDocx(text, title);
  } catch (err) {
    if (err instanceof DocxLimitError) throw new ReportLimitError(`the template stopped at a limit (docx_parts): ${err.message}`, "docx_parts", MAX_DOCX_PARTS);
    throw err;
  }
}

export async function renderReport(input: RenderInput): Promise<RenderedReport> {
  return convertText(await renderText(input), input.format, input.reportName);
}

/** JSON with object keys sorted at every depth, so equal contexts hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
