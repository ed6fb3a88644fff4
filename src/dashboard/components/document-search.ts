// Full-text search over the tenant's indexed documents (GET /search). The query lives in the URL;
// each hit shows its document, its chunk and a snippet with the matched words highlighted.
import { useEffect, useState } from "preact/hooks";
import { useResource } from "../hooks";
import { html } from "../html";
import { documents } from "../resource-api";
import type { SearchHit } from "../resource-types";
import { setQuery } from "../router";
import { ErrorMessage, Loading } from "./common";
import { TextField } from "./form-field";

/**
 * The snippet's text with its `<mark>` runs as <mark> elements: the rest stays text, never HTML
 * (a chunk is a document's own text, whatever it holds).
 */
function Snippet({ text }: { text: string }) {
  let marked = false;
  const parts = text.split(/(<mark>|<\/mark>)/).flatMap((part, i) => {
    if (part === "<mark>" || part === "</mark>") {
      marked = part === "<mark>";
      return [];
    }
    return [marked ? html`<mark key=${i}>${part}</mark>` : part];
  });
  return html`<p class="snippet">${parts}</p>`;
}

function Hits({ hits, query }: { hits: SearchHit[]; query: string }) {
  if (hits.length === 0) return html`<p class="muted" role="status">No indexed document matches “${query}”.</p>`;
  return html`
    <div>
      <p class="muted" role="status">${hits.length} match${hits.length === 1 ? "" : "es"} for “${query}”, best first.</p>
      <ol class="search-results" aria-label="Search results">
        ${hits.map((hit) => html`
          <li key=${`${hit.documentId} ${hit.chunk}`}>
            <p class="search-hit-title"><strong>${hit.documentName}</strong> <span class="muted">in ${hit.collection}, chunk ${hit.chunk + 1}</span></p>
            <${Snippet} text=${hit.snippet} />
          </li>
        `)}
      </ol>
    </div>
  `;
}

export function DocumentSearch({ query }: { query: URLSearchParams }) {
  const q = query.get("q") ?? "";
  const collection = query.get("searchCollection") ?? "";
  const [text, setText] = useState(q);
  const [within, setWithin] = useState(collection);
  useEffect(() => setText(q), [q]);
  useEffect(() => setWithin(collection), [collection]);
  const results = useResource(async () => (q ? documents.search({ q, collection, limit: 20 }) : undefined), [q, collection]);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    setQuery({ q: text.trim() || undefined, searchCollection: within.trim() || undefined });
  };
  return html`
    <div>
      <form class="filters" role="search" aria-label="Search documents" onSubmit=${onSubmit}>
        <${TextField} label="Search" type="search" value=${text} onValue=${setText} autocomplete="off" />
        <${TextField} label="In collection" value=${within} onValue=${setWithin} autocomplete="off" spellcheck="false" />
        <button type="submit" class="button-primary">Search</button>
      </form>
      <${ErrorMessage} error=${results.error} prefix="The search failed" />
      ${q && results.loading ? html`<${Loading} what="results" />` : null}
      ${results.data && !results.loading ? html`<${Hits} hits=${results.data.items} query=${q} />` : null}
    </div>
  `;
}
