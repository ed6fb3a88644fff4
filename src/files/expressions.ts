import { Context, Liquid, TokenKind, Tokenizer, Value, toValueSync } from "liquidjs";

/** What one expression may build for one row, as LiquidJS counts (characters and elements). */
const MEMORY_PER_ROW = 1_000_000;
const UNARY = new Set(["not"]);

/** The same engine as the report templates' (src/reports/liquid.ts): no file system, strict filters, own properties only. */
function engine(): Liquid {
  return new Liquid({ templates: {}, strictFilters: true, ownPropertyOnly: true, memoryLimit: MEMORY_PER_ROW });
}

/** A token of an expression in postfix order: an operand, or an operator taking one or two. */
interface PostfixToken {
  kind: number;
  operator?: string;
}

/**
 * LiquidJS reads `a b` as `b` and `a >` as `a`: an expression must use each of its operands, the
 * way a stack machine evaluating its postfix form ends with exactly one value.
 */
function isComplete(postfix: PostfixToken[]): boolean {
  let depth = 0;
  for (const token of postfix) {
    if (token.kind !== TokenKind.Operator) depth += 1;
    else if (!UNARY.has(token.operator!)) depth -= 1;
    if (depth < 1) return false;
  }
  return depth === 1;
}

function parse(liquid: Liquid, text: string): Value {
  if (/\|\s*$/.test(text)) throw new Error("a filter is missing after the last |");
  const token = new Tokenizer(text, liquid.options.operators).readFilteredValue();
  const initial = token.initial as unknown as { postfix: PostfixToken[] };
  if (!isComplete(initial.postfix)) throw new Error(`"${text}" is not one expression (an operand or an operator is missing)`);
  return new Value(token, liquid);
}

/** Why a Liquid expression (what goes between `{{` and `}}`) does not parse, or null. */
export function expressionIssue(text: string): string | null {
  try {
    parse(engine(), text);
    return null;
  } catch (err) {
    return (err as Error).message.replace(/, line:\d+, col:\d+$/, "");
  }
}

/** Expressions parsed once, evaluated per row against `scope`. */
export class Expressions {
  private readonly liquid = engine();
  private readonly values: Value[];

  constructor(texts: string[]) {
    this.values = texts.map((text) => parse(this.liquid, text));
  }

  /** The value of the `i`th expression; throws what the expression throws (a filter's error, the memory limit). */
  evaluate(i: number, scope: Record<string, unknown>): unknown {
    const ctx = new Context(scope, this.liquid.options, undefined, {});
    return toValueSync(this.values[i]!.value(ctx, false));
  }
}
