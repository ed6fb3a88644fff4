import { Context, Liquid, LiquidError } from "liquidjs";
import { BoundedEmitter, RenderBudget, RenderLimitError, drive, stringify } from "./render-budget";

/** Template bodies are at most 256 KiB; render limits are counted per render (render-budget.ts). */
const PARSE_LIMIT = 1_000_000;

export interface TemplateSyntaxError {
  message: string;
  line: number;
  column: number;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };

/** LiquidJS's `escape`, without charging the memory limit: the output it makes is counted by the output limit. */
const escapeOutput = (value: unknown) => stringify(value).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);

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
    outputEscape: escapeHtml ? escapeOutput : undefined,
    parseLimit: PARSE_LIMIT,
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

/**
 * Renders a template within the limits of one render budget (steps, sizes, memory, time and
 * `maxOutput` characters of output, counted as it is written). A render that exceeds one throws
 * a `RenderLimitError` naming it; any other failure is a `TemplateRenderError`.
 */
export async function renderTemplate(body: string, context: Record<string, unknown>, options: { escapeHtml: boolean; maxOutput: number }): Promise<string> {
  const liquid = engine(options.escapeHtml);
  const budget = new RenderBudget(options.maxOutput);
  const emitter = new BoundedEmitter(budget);
  try {
    const ctx = new Context(context, liquid.options, undefined, { memoryLimit: budget.limiter() });
    await drive(liquid.renderer.renderTemplates(liquid.parse(body), ctx, emitter), budget);
    return emitter.buffer;
  } catch (err) {
    // LiquidJS wraps what a tag or filter throws; the budget remembers the limit it stopped at.
    if (budget.exceeded) throw budget.exceeded;
    if (err instanceof RenderLimitError) throw err;
    throw new TemplateRenderError(position(err));
  }
}
