export const REPORT_FORMATS = ["markdown", "html", "json", "text", "csv", "pdf", "docx"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const CONTENT_TYPES: Record<ReportFormat, string> = {
  markdown: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
  json: "application/json",
  text: "text/plain; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
};

export function contentTypeOf(format: ReportFormat): string {
  return CONTENT_TYPES[format];
}

/** Formats whose versions are not text: they cannot be diffed line by line. */
export function isBinaryFormat(format: ReportFormat): boolean {
  return format === "pdf" || format === "docx";
}
