// A plain textarea for a template's body with line numbers beside it. A syntax error is marked on
// its line (in the numbers and behind the text), described under the editor with the line quoted
// and a caret at the column, and "Go to" puts the cursor there.
import { useId, useRef, useState } from "preact/hooks";
import { html } from "../html";

export interface SourcePosition {
  line: number;
  column: number;
  message: string;
}

/** An API error's details as a position in the body, if they are one (422 `template_syntax`). */
export function positionOf(details: unknown): SourcePosition | undefined {
  const d = details as Partial<SourcePosition> | undefined;
  return d && typeof d.line === "number" && typeof d.column === "number" && typeof d.message === "string"
    ? { line: d.line, column: d.column, message: d.message }
    : undefined;
}

/** The character offset of a 1-based line and column in `text`. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let current = 1; current < line; current++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

interface CodeEditorProps {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: SourcePosition;
  hint?: string;
}

export function CodeEditor({ label, value, onValue, error, hint }: CodeEditorProps) {
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const [scroll, setScroll] = useState(0);
  const lines = value.split("\n");
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const goTo = () => {
    const textarea = area.current;
    if (!textarea || !error) return;
    const at = offsetOf(value, error.line, error.column);
    textarea.focus();
    textarea.setSelectionRange(at, at);
    const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (error.line - 1) * lineHeight - textarea.clientHeight / 2);
  };
  const quoted = error ? lines[error.line - 1] : undefined;
  return html`
    <div class="field form-field field-wide">
      <label for=${id}>${label}</label>
      <div class="code-editor" style=${{ "--scroll": `${scroll}px` }}>
        <div class="code-gutter" aria-hidden="true">
          <ol>${lines.map((_, i) => html`<li key=${i} class=${error?.line === i + 1 ? "gutter-error" : undefined}>${i + 1}</li>`)}</ol>
        </div>
        ${error ? html`<div class="code-line-mark" aria-hidden="true" style=${{ "--line": error.line - 1 }}></div>` : null}
        <textarea ref=${area} id=${id} class="code-text" wrap="off" spellcheck="false" autocapitalize="off" autocomplete="off"
          value=${value} rows=${Math.min(30, Math.max(10, lines.length + 1))}
          onInput=${(e: Event) => onValue((e.currentTarget as HTMLTextAreaElement).value)}
          onScroll=${(e: Event) => setScroll((e.currentTarget as HTMLTextAreaElement).scrollTop)}
          aria-describedby=${describedBy} aria-invalid=${error ? "true" : undefined}></textarea>
      </div>
      ${hint ? html`<p id=${`${id}-hint`} class="hint">${hint}</p>` : null}
      ${error
        ? html`<div id=${`${id}-error`} class="field-error code-error" role="alert">
            <p>Line ${error.line}, column ${error.column}: ${error.message}</p>
            ${quoted !== undefined
              ? html`<pre class="code-quote" aria-hidden="true">${`${error.line} | ${quoted}\n${" ".repeat(String(error.line).length)} | ${" ".repeat(Math.max(0, error.column - 1))}^`}</pre>`
              : null}
            <button type="button" onClick=${goTo}>Go to line ${error.line}</button>
          </div>`
        : null}
    </div>
  `;
}
