import { href } from "../router";
import { html } from "../html";

interface PagerProps {
  path: string;
  query: URLSearchParams;
  nextCursor: string | null | undefined;
  label?: string;
}

/** Cursor pagination as links (the cursor is in the URL, so back returns to the page before). */
export function Pager({ path, query, nextCursor, label = "Pages" }: PagerProps) {
  const onFirst = !query.get("cursor");
  if (onFirst && !nextCursor) return null;
  const first = new URLSearchParams(query);
  first.delete("cursor");
  const next = new URLSearchParams(query);
  if (nextCursor) next.set("cursor", nextCursor);
  return html`
    <nav class="pager" aria-label=${label}>
      ${onFirst ? null : html`<a href=${href(path, first)}>First page</a>`}
      ${nextCursor ? html`<a href=${href(path, next)} rel="next">Next page</a>` : null}
    </nav>
  `;
}
