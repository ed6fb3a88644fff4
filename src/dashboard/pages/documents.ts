import { useEffect, useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { ErrorMessage, Loading, Notice, StatusBadge, TableRegion, Time } from "../components/common";
import { ConfirmDialog } from "../components/dialog";
import { DocumentSearch } from "../components/document-search";
import { DocumentUpload } from "../components/document-upload";
import { SelectField, TextField } from "../components/form-field";
import { JobLink } from "../components/job-link";
import { Pager } from "../components/pager";
import { formatNumber } from "../format";
import { useDebounced, useFeed, useResource, useThrottle } from "../hooks";
import { html } from "../html";
import { documents } from "../resource-api";
import { DOCUMENT_STATUSES, type DocumentItem } from "../resource-types";
import type { PageProps } from "../routes";
import { setQuery } from "../router";
import { useSession } from "../session";

const REFETCH_MS = 2_000;

function ListFilters({ collection, status }: { collection: string; status: string }) {
  const [text, setText] = useState(collection);
  const settled = useDebounced(text, 400);
  useEffect(() => setText(collection), [collection]);
  useEffect(() => {
    if (settled.trim() !== collection) setQuery({ collection: settled.trim() || undefined, cursor: undefined }, { replace: true });
  }, [settled]);
  return html`
    <form class="filters" aria-label="Filter documents" onSubmit=${(e: Event) => e.preventDefault()}>
      <${TextField} label="Filter by collection" value=${text} onValue=${setText} autocomplete="off" spellcheck="false" />
      <${SelectField} label="Filter by status" value=${status} options=${[{ value: "", label: "Any status" }, ...DOCUMENT_STATUSES]}
        onValue=${(value: string) => setQuery({ status: value || undefined, cursor: undefined })} />
    </form>
  `;
}

function DocumentTable({ items, writable, onDelete }: { items: DocumentItem[]; writable: boolean; onDelete: (d: DocumentItem) => void }) {
  return html`
    <${TableRegion} label="Document list">
      <table>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Collection</th><th scope="col">Status</th><th scope="col" class="numeric">Chunks</th>
          <th scope="col" class="numeric">Bytes</th><th scope="col">Added</th><th scope="col">Ingest job</th><th scope="col">Error</th>
          ${writable ? html`<th scope="col">Actions</th>` : null}
        </tr></thead>
        <tbody>
          ${items.map((d) => html`<tr key=${d.id}>
            <td>${d.name}</td>
            <td>${d.collection}</td>
            <td><${StatusBadge} status=${d.status} /></td>
            <td class="numeric">${formatNumber(d.chunks)}</td>
            <td class="numeric">${formatNumber(d.size)}</td>
            <td><${Time} iso=${d.createdAt} /></td>
            <td>${d.jobId ? html`<${JobLink} id=${d.jobId} />` : "—"}</td>
            <td class="cell-wrap">${d.error ?? "—"}</td>
            ${writable
              ? html`<td><button type="button" class="button-danger" onClick=${() => onDelete(d)} aria-label=${`Delete document ${d.name}`}>Delete</button></td>`
              : null}
          </tr>`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

export function DocumentsPage({ query }: PageProps) {
  const { can } = useSession();
  const writable = can("jobs:write");
  const collection = query.get("collection") ?? "";
  const status = query.get("status") ?? "";
  const cursor = query.get("cursor") ?? undefined;
  const list = useResource(() => documents.list({ collection, status, cursor, limit: 50 }), [collection, status, cursor]);
  const refetch = useThrottle(list.reload, REFETCH_MS);
  useFeed((event) => {
    // Ingest jobs move documents through their statuses.
    if (event.type === "reset" || (event.type === "job" && event.job.type === "document.ingest")) refetch();
  });
  const [deleting, setDeleting] = useState<DocumentItem>();
  const action = useAction();
  const remove = (d: DocumentItem) =>
    action.run("delete", async () => {
      await documents.remove(d.id);
      setDeleting(undefined);
      list.reload();
      return `Document ${d.name} deleted.`;
    });
  const items = list.data?.items ?? [];
  return html`
    <section class="page">
      <h1>Documents</h1>
      <section aria-labelledby="search-heading">
        <h2 id="search-heading">Search</h2>
        <${DocumentSearch} query=${query} />
      </section>
      ${writable
        ? html`<section aria-labelledby="add-heading"><h2 id="add-heading">Add a document</h2><${DocumentUpload} onAdded=${list.reload} /></section>`
        : null}
      <section aria-labelledby="list-heading">
        <h2 id="list-heading">All documents</h2>
        <${ListFilters} collection=${collection} status=${status} />
        ${action.notice ? html`<${Notice}>${action.notice}</${Notice}>` : null}
        ${deleting ? null : html`<${ErrorMessage} error=${action.error} />`}
        <${ErrorMessage} error=${list.error} />
        ${list.loading && !list.data ? html`<${Loading} what="documents" />` : null}
        ${list.data && items.length === 0 ? html`<p class="muted">No documents${collection || status ? " match these filters" : " yet"}.</p>` : null}
        ${items.length > 0 ? html`<${DocumentTable} items=${items} writable=${writable} onDelete=${(d: DocumentItem) => (action.clear(), setDeleting(d))} />` : null}
        <${Pager} path="/documents" query=${query} nextCursor=${list.data?.nextCursor} label="Document pages" />
      </section>
      <${ConfirmDialog} open=${deleting !== undefined} title="Delete this document?" confirmLabel="Delete document" busy=${action.busy === "delete"}
        onConfirm=${() => deleting && remove(deleting)} onClose=${() => setDeleting(undefined)}>
        <p>${deleting?.name} is deleted with its chunks and index entries, and its uploaded file unless another document was made from it.</p>
        <${ErrorMessage} error=${action.error} />
      </${ConfirmDialog}>
    </section>
  `;
}
