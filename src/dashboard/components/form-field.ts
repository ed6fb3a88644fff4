// Labelled form controls that show their hint and their error beside them, tied to the control by
// aria-describedby, and the mapping from an API error's details to the fields they name.
import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";
import { ApiError } from "../api";
import { html } from "../html";

/** One problem with one field, as the API's 400 (validation) and 422 (refusal) details give them. */
export interface Issue {
  path: string;
  message: string;
}

export function issuesOf(error: Error | undefined): Issue[] {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return [];
  return (error.details as Partial<Issue>[]).filter((d): d is Issue => typeof d?.path === "string" && typeof d.message === "string");
}

/** The message of the first issue at `path` or below it ("job" also matches "job.input.steps"). */
export function issueAt(issues: Issue[], ...paths: string[]): string | undefined {
  return issues.find((i) => paths.some((path) => i.path === path || i.path.startsWith(`${path}.`)))?.message;
}

/** The issues no field of the form shows: listed with the form's error. */
export function otherIssues(issues: Issue[], shown: readonly string[]): Issue[] {
  return issues.filter((i) => !shown.some((path) => i.path === path || i.path.startsWith(`${path}.`)));
}

export interface ControlIds {
  id: string;
  describedBy: string | undefined;
  invalid: "true" | undefined;
}

interface FieldProps {
  label: string;
  hint?: ComponentChildren;
  error?: string;
  wide?: boolean;
  /** The label is read but not shown, where a column header already says it (a table of inputs). */
  hiddenLabel?: boolean;
  /** Renders the control with the id and description it must carry. */
  children: (ids: ControlIds) => ComponentChildren;
}

export function Field({ label, hint, error, wide = false, hiddenLabel = false, children }: FieldProps) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return html`
    <div class=${`field form-field${wide ? " field-wide" : ""}`}>
      <label for=${id} class=${hiddenLabel ? "visually-hidden" : undefined}>${label}</label>
      ${children({ id, describedBy, invalid: error ? "true" : undefined })}
      ${hint ? html`<p id=${`${id}-hint`} class="hint">${hint}</p>` : null}
      ${error ? html`<p id=${`${id}-error`} class="field-error" role="alert">${error}</p>` : null}
    </div>
  `;
}

interface InputProps {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  error?: string;
  wide?: boolean;
  /** Any other attribute of the <input>: type, required, min, list, autocomplete… */
  [attribute: string]: unknown;
}

const valueOf = (event: Event) => (event.currentTarget as HTMLInputElement).value;

export function TextField({ label, value, onValue, hint, error, wide, ...attributes }: InputProps) {
  return html`<${Field} label=${label} hint=${hint} error=${error} wide=${wide}>
    ${(ids: ControlIds) => html`<input id=${ids.id} type="text" ...${attributes} value=${value}
      onInput=${(e: Event) => onValue(valueOf(e))} aria-describedby=${ids.describedBy} aria-invalid=${ids.invalid} />`}
  </${Field}>`;
}

export function TextAreaField({ label, value, onValue, hint, error, wide = true, ...attributes }: InputProps) {
  return html`<${Field} label=${label} hint=${hint} error=${error} wide=${wide}>
    ${(ids: ControlIds) => html`<textarea id=${ids.id} rows="4" spellcheck="false" ...${attributes} value=${value}
      onInput=${(e: Event) => onValue(valueOf(e))} aria-describedby=${ids.describedBy} aria-invalid=${ids.invalid}></textarea>`}
  </${Field}>`;
}

interface SelectProps extends InputProps {
  options: readonly (string | { value: string; label: string })[];
}

export function SelectField({ label, value, onValue, hint, error, options, ...attributes }: SelectProps) {
  return html`<${Field} label=${label} hint=${hint} error=${error}>
    ${(ids: ControlIds) => html`<select id=${ids.id} ...${attributes} value=${value}
      onChange=${(e: Event) => onValue(valueOf(e))} aria-describedby=${ids.describedBy} aria-invalid=${ids.invalid}>
      ${options.map((o) => (typeof o === "string" ? { value: o, label: o } : o)).map((o) => html`<option key=${o.value} value=${o.value}>${o.label}</option>`)}
    </select>`}
  </${Field}>`;
}

export function CheckboxField({ label, checked, onChecked, hint }: { label: string; checked: boolean; onChecked: (on: boolean) => void; hint?: string }) {
  const id = useId();
  return html`
    <div class="field check-field">
      <span class="check">
        <input id=${id} type="checkbox" checked=${checked} aria-describedby=${hint ? `${id}-hint` : undefined}
          onChange=${(e: Event) => onChecked((e.currentTarget as HTMLInputElement).checked)} />
        <label for=${id}>${label}</label>
      </span>
      ${hint ? html`<p id=${`${id}-hint`} class="hint">${hint}</p>` : null}
    </div>
  `;
}

/** A form's own error and the issues none of its fields shows. */
export function FormError({ error, issues }: { error: Error | undefined; issues: Issue[] }) {
  if (!error) return null;
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  // "request failed validation in json" says less than the fields do, once they show every issue.
  const atFields = issues.length === 0 && issuesOf(error).length > 0;
  return html`
    <div class="message message-error" role="alert">
      <p class="form-error-text">${atFields ? "The request was refused: correct the fields marked." : error.message}${requestId ? html`<span class="request-id"> (request ${requestId})</span>` : null}</p>
      ${issues.length > 0 ? html`<ul>${issues.map((i) => html`<li key=${i.path}>${i.path ? `${i.path}: ` : ""}${i.message}</li>`)}</ul>` : null}
    </div>
  `;
}
