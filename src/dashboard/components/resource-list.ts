// A page that lists one resource from its GET endpoint, a page of 50 at a time: the starting point
// of the pages other engineers fill in (schedules, reports, templates, documents, keys).
import type { ComponentChildren } from "preact";
import { getResource } from "../api";
import { useResource } from "../hooks";
import { html } from "../html";
import type { Page } from "../types";
import { ErrorMessage, Loading, TableRegion } from "./common";
import { Pager } from "./pager";

export interface Column<T> {
  label: string;
  cell: (item: T) => ComponentChildren;
}

interface ResourceListProps<T> {
  title: string;
  /** The API path below /api/v1, e.g. "/schedules". */
  apiPath: string;
  /** The dashboard path of the page, for its pager links. */
  pagePath: string;
  query: URLSearchParams;
  columns: Column<T>[];
  rowKey: (item: T) => string;
  intro?: ComponentChildren;
  /** The noun for "Loading …" and "No … yet". */
  noun: string;
}

export function ResourceList<T>({ title, apiPath, pagePath, query, columns, rowKey, intro, noun }: ResourceListProps<T>) {
  const cursor = query.get("cursor") ?? undefined;
  const list = useResource(() => getResource<Page<T>>(apiPath, { limit: 50, cursor }), [apiPath, cursor]);
  const items = list.data?.items ?? [];
  return html`
    <section class="page">
      <h1>${title}</h1>
      ${intro}
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data ? html`<${Loading} what=${noun} />` : null}
      ${list.data && items.length === 0 ? html`<p class="muted">No ${noun} yet.</p>` : null}
      ${items.length > 0
        ? html`<${TableRegion} label=${title}>
            <table>
              <thead><tr>${columns.map((c) => html`<th scope="col" key=${c.label}>${c.label}</th>`)}</tr></thead>
              <tbody>
                ${items.map((item) => html`<tr key=${rowKey(item)}>${columns.map((c) => html`<td key=${c.label}>${c.cell(item)}</td>`)}</tr>`)}
              </tbody>
            </table>
          </${TableRegion}>`
        : null}
      <${Pager} path=${pagePath} query=${query} nextCursor=${list.data?.nextCursor} label=${`${title} pages`} />
    </section>
  `;
}
