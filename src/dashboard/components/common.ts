// Small pieces every page uses.
import type { ComponentChildren } from "preact";
import { ApiError } from "../api";
import { formatDateTime, formatJson } from "../format";
import { html } from "../html";

/** An API or network error, as the page shows it: the API's message, and its request id to report. */
export function ErrorMessage({ error, prefix }: { error: Error | undefined | null; prefix?: string }) {
  if (!error) return null;
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return html`
    <p class="message message-error" role="alert">
      ${prefix ? `${prefix}: ` : ""}${error.message}
      ${requestId ? html`<span class="request-id"> (request ${requestId})</span>` : null}
    </p>
  `;
}

export function Notice({ children }: { children: ComponentChildren }) {
  return html`<p class="message message-info" role="status">${children}</p>`;
}

export function StatusBadge({ status }: { status: string }) {
  return html`<span class=${`badge badge-${status}`}>${status}</span>`;
}

export function Time({ iso, short = true }: { iso: string | null | undefined; short?: boolean }) {
  if (!iso) return html`<span>—</span>`;
  return html`<time datetime=${iso} title=${formatDateTime(iso)}>${formatDateTime(iso, short)}</time>`;
}

/** JSON in a block that scrolls; focusable so that keyboard users can scroll it too. */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  if (value === null || value === undefined) return html`<p class="muted">none</p>`;
  return html`<pre class="json" tabindex="0" aria-label=${label}>${formatJson(value)}</pre>`;
}

/** A table that scrolls sideways on a narrow screen; focusable so that the keyboard can scroll it. */
export function TableRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return html`<div class="table-scroll" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}

export function Loading({ what }: { what: string }) {
  return html`<p class="muted" role="status">Loading ${what}…</p>`;
}
