import type { ErrorInfo } from "../engine/errors";
import { mapJson } from "./json-walk";

/**
 * Takes the values of the secrets an attempt revealed out of what the attempt writes (its result,
 * error, logs, progress and step checkpoints), each replaced by `[secret:name]`.
 */
export class SecretScrubber {
  private readonly secrets: { value: string; mark: string }[];

  constructor(revealed: ReadonlyMap<string, string>) {
    this.secrets = [...revealed]
      .filter(([, value]) => value.length > 0)
      .map(([name, value]) => ({ value, mark: `[secret:${name}]` }))
      // A value that contains another is replaced first, so no part of it is left.
      .sort((a, b) => b.value.length - a.value.length);
  }

  get empty(): boolean {
    return this.secrets.length === 0;
  }

  text(text: string): string {
    let scrubbed = text;
    for (const { value, mark } of this.secrets) if (scrubbed.includes(value)) scrubbed = scrubbed.split(value).join(mark);
    return scrubbed;
  }

  /** What `value` is as JSON, scrubbed: a result or a step's value. */
  json(value: unknown): string {
    const text = JSON.stringify(value ?? null);
    if (this.empty || !this.secrets.some(({ value: secret }) => text.includes(JSON.stringify(secret).slice(1, -1)))) return text;
    const scrub = (s: string) => this.text(s);
    return JSON.stringify(mapJson(JSON.parse(text), { key: scrub, leaf: (leaf) => (typeof leaf === "string" ? scrub(leaf) : leaf) }));
  }

  /** An error to let out of the attempt: the same one when it names no secret, else a scrubbed copy. */
  error(err: unknown): unknown {
    if (this.empty) return err;
    if (!(err instanceof Error)) return new Error(this.text(String(err)));
    const message = this.text(err.message);
    const name = this.text(err.name);
    if (message === err.message && name === err.name) return err;
    const copy = new Error(message);
    copy.name = name;
    const { retryAfterMs } = err as { retryAfterMs?: unknown };
    if (typeof retryAfterMs === "number") Object.assign(copy, { retryAfterMs });
    return copy;
  }

  errorInfo(info: ErrorInfo): ErrorInfo {
    return this.empty ? info : { ...info, name: this.text(info.name), message: this.text(info.message) };
  }
}

/** The scrubber of an attempt whose input names no secret. */
export const NO_SECRETS = new SecretScrubber(new Map());
