import { ErrorMessage, Loading, Notice, TableRegion, Time } from "../components/common";
import { Pager } from "../components/pager";
import { ReportVersionForm } from "../components/report-version-form";
import { useResource } from "../hooks";
import { html } from "../html";
import { reports } from "../resource-api";
import type { Report } from "../resource-types";
import type { PageProps } from "../routes";
import { href } from "../router";
import { useSession } from "../session";

function ReportTable({ items }: { items: Report[] }) {
  return html`
    <${TableRegion} label="Reports">
      <table>
        <thead><tr>
          <th scope="col">Name</th><th scope="col" class="numeric">Latest version</th><th scope="col">Updated</th><th scope="col">Created</th>
        </tr></thead>
        <tbody>
          ${items.map((r) => html`<tr key=${r.id}>
            <td><a href=${href(`/reports/${encodeURIComponent(r.id)}`)}>${r.name}</a></td>
            <td class="numeric">${r.latestVersion}</td>
            <td><${Time} iso=${r.updatedAt} /></td>
            <td><${Time} iso=${r.createdAt} /></td>
          </tr>`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

export function ReportsPage({ query }: PageProps) {
  const { can } = useSession();
  const cursor = query.get("cursor") ?? undefined;
  const list = useResource(() => reports.list({ limit: 50, cursor }), [cursor]);
  const items = list.data?.items ?? [];
  return html`
    <section class="page">
      <h1>Reports</h1>
      <p class="muted">Every report keeps its versions: open one to read a version, compare two, or store a new one.</p>
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data ? html`<${Loading} what="reports" />` : null}
      ${list.data && items.length === 0 ? html`<p class="muted">No reports yet.</p>` : null}
      ${items.length > 0 ? html`<${ReportTable} items=${items} />` : null}
      <${Pager} path="/reports" query=${query} nextCursor=${list.data?.nextCursor} label="Report pages" />
      <section aria-labelledby="store-heading">
        <h2 id="store-heading">Store a version</h2>
        ${can("reports:write")
          ? html`<${ReportVersionForm} onStored=${list.reload} />`
          : html`<${Notice}>Storing report versions needs the reports:write scope.</${Notice}>`}
      </section>
    </section>
  `;
}
