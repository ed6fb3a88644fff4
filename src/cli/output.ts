// What the CLI writes: results on stdout (JSON with --json), progress and errors on stderr.
import { CommanderError } from "commander";
import { EdgeJobsError } from "../client/index";

/** Exit codes (README "CLI"): a watched job's outcome, or a failure of the command itself. */
export const EXIT = { ok: 0, failed: 1, cancelled: 2, error: 3 } as const;

/** Bad arguments or configuration: reported like an API error, with code `usage`. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface OutputOptions {
  json?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human text, or the value as JSON with --json. */
export function print(options: OutputOptions, value: unknown, text: () => string): void {
  if (options.json) printJson(value);
  else process.stdout.write(`${text()}\n`);
}

/** Left-aligned columns, sized to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

type ErrorBody = { status: number; code: string; message: string; requestId?: string; details?: unknown };

function describe(error: unknown): ErrorBody {
  if (error instanceof EdgeJobsError) {
    return { status: error.status, code: error.code, message: error.message, requestId: error.requestId, details: error.details };
  }
  if (error instanceof UsageError || error instanceof CommanderError) return { status: 0, code: "usage", message: error.message };
  return { status: 0, code: "internal", message: error instanceof Error ? error.message : String(error) };
}

/** The API's message and requestId on stderr (the error envelope with --json); answers the exit code. */
export function reportError(error: unknown, options: OutputOptions): number {
  const body = describe(error);
  if (options.json) {
    process.stderr.write(`${JSON.stringify({ error: body })}\n`);
    return EXIT.error;
  }
  const where = [body.status ? `HTTP ${body.status}` : "", body.code, body.requestId ? `request ${body.requestId}` : ""];
  process.stderr.write(`edge-jobs: ${body.message} (${where.filter(Boolean).join(", ")})\n`);
  if (body.details !== undefined && body.details !== null) process.stderr.write(`${JSON.stringify(body.details, null, 2)}\n`);
  return EXIT.error;
}

export const ago = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "-");
