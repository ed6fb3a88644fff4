import { ErrorMessage, Loading, TableRegion, Time } from "../components/common";
import { Pager } from "../components/pager";
import { useResource } from "../hooks";
import { html } from "../html";
import { templates } from "../resource-api";
import type { Template } from "../resource-types";
import type { PageProps } from "../routes";
import { href } from "../router";
import { useSession } from "../session";

function TemplateTable({ items }: { items: Template[] }) {
  return html`
    <${TableRegion} label="Template list">
      <table>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Format</th><th scope="col">Variables</th><th scope="col">Description</th><th scope="col">Updated</th>
        </tr></thead>
        <tbody>
          ${items.map((t) => html`<tr key=${t.id}>
            <td><a href=${href(`/templates/${encodeURIComponent(t.id)}`)}>${t.name}</a></td>
            <td>${t.format}</td>
            <td>${t.variables.length ? t.variables.map((v) => html`<span class="tag" key=${v.name}>${v.name}</span>`) : "—"}</td>
            <td class="cell-error">${t.description ?? "—"}</td>
            <td><${Time} iso=${t.updatedAt} /></td>
          </tr>`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

export function TemplatesPage({ query }: PageProps) {
  const { can } = useSession();
  const cursor = query.get("cursor") ?? undefined;
  const list = useResource(() => templates.list({ limit: 50, cursor }), [cursor]);
  const items = list.data?.items ?? [];
  return html`
    <section class="page">
      <h1>Templates</h1>
      <div class="toolbar">
        <p class="muted">Liquid templates that report.generate jobs render into report versions.</p>
        ${can("reports:write") ? html`<a class="button-link button-primary" href=${href("/templates/new")}>New template</a>` : null}
      </div>
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data ? html`<${Loading} what="templates" />` : null}
      ${list.data && items.length === 0 ? html`<p class="muted">No templates yet.</p>` : null}
      ${items.length > 0 ? html`<${TemplateTable} items=${items} />` : null}
      <${Pager} path="/templates" query=${query} nextCursor=${list.data?.nextCursor} label="Template pages" />
    </section>
  `;
}
