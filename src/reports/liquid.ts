import { Liquid, LiquidError } from "liquidjs";

/** Bounds that keep a hostile or runaway template from exhausting a Worker's CPU or memory. */
const LIMITS = { parseLimit: 1_000_000, renderLimit: 10_000, memoryLimit: 64 * 1024 * 1024 };

export interface TemplateSyntaxError {
  message: string;
  line: number;
  column: number;
}

/**
 * A Liquid engine with no file system (includes resolve only in-memory templates) and strict
 * filters, so a misspelt filter is an error rather than silently ignored. HTML output escapes
 * every value unless the template says `| raw`.
 */
function engine(escapeHtml: boolean): Liquid {
  return new Liquid({
    templates: {},
    strictFilters: true,
    ownPropertyOnly: true,
    outputEscape: escapeHtml ? "escape" : undefined,
    ...LIMITS,
  });
}

function position(err: unknown): TemplateSyntaxError {
  if (err instanceof LiquidError && err.token) {
    const [line, column] = err.token.getPosition();
    // LiquidJS appends ", line:1, col:5" to its messages; the position is reported separately.
    const message = err.message.replace(/, line:\d+, col:\d+$/, "");
    return { message, line: line ?? 1, column: column ?? 1 };
  }
  return { message: err instanceof Error ? err.message : String(err), line: 1, column: 1 };
}

/** The first syntax error in a template body, with its line and column, or null if it parses. */
export function checkTemplate(body: string): TemplateSyntaxError | null {
  try {
    engine(false).parse(body);
    return null;
  } catch (err) {
    return position(err);
  }
}

export class TemplateRenderError extends Error {
  constructor(readonly detail: TemplateSyntaxError) {
    super(`line ${detail.line}, column ${detail.column}: ${detail.message}`);
    this.name = "TemplateRenderError";
  }
}

export async function renderTemplate(body: string, context: Record<string, unknown>, options: { escapeHtml: boolean }): Promise<string> {
  const liquid = engine(options.escapeHtml);
  try {
    return await liquid.parseAndRender(body, context);
  } catch (err) {
    throw new TemplateRenderError(position(err));
  }
}
