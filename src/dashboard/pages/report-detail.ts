import { useEffect, useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { ErrorMessage, Loading, TableRegion, Time } from "../components/common";
import { ConfirmDialog } from "../components/dialog";
import { DiffView } from "../components/diff-view";
import { JobLink } from "../components/job-link";
import { SelectField, TextField } from "../components/form-field";
import { Pager } from "../components/pager";
import { ReportVersionForm } from "../components/report-version-form";
import { formatNumber } from "../format";
import { useResource } from "../hooks";
import { html } from "../html";
import { reports } from "../resource-api";
import { type ReportVersion, isBinaryFormat } from "../resource-types";
import type { PageProps } from "../routes";
import { href, navigate, setQuery } from "../router";
import { useSession } from "../session";

const VERSIONS_PAGE = 100;

function versionOf(query: URLSearchParams, name: string): number | undefined {
  const value = Number(query.get(name));
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

function VersionTable({ versions, path, query }: { versions: ReportVersion[]; path: string; query: URLSearchParams }) {
  const viewHref = (n: number) => {
    const next = new URLSearchParams(query);
    next.set("view", String(n));
    return href(path, next);
  };
  return html`
    <${TableRegion} label="Version list">
      <table>
        <thead><tr>
          <th scope="col" class="numeric">Version</th><th scope="col">Format</th><th scope="col" class="numeric">Bytes</th>
          <th scope="col">Created</th><th scope="col">Made by</th><th scope="col">Content</th>
        </tr></thead>
        <tbody>
          ${versions.map((v) => html`<tr key=${v.version}>
            <td class="numeric">${v.version}</td>
            <td>${v.format}</td>
            <td class="numeric">${formatNumber(v.size)}</td>
            <td><${Time} iso=${v.createdAt} /></td>
            <td>${v.jobId ? html`job <${JobLink} id=${v.jobId} />` : "stored directly"}</td>
            <td class="cell-actions">
              ${isBinaryFormat(v.format) ? null : html`<a href=${viewHref(v.version)} aria-current=${query.get("view") === String(v.version) ? "true" : undefined}>View<span class="visually-hidden"> version ${v.version}</span></a>`}
              <a href=${v.contentUrl} download>Download<span class="visually-hidden"> version ${v.version}</span></a>
            </td>
          </tr>`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

function CompareForm({ versions, from, to, context }: { versions: number[]; from?: number; to?: number; context: number }) {
  const latest = versions[0];
  const [draft, setDraft] = useState({ from: String(from ?? versions[1] ?? latest ?? ""), to: String(to ?? latest ?? ""), context: String(context) });
  useEffect(() => setDraft((d) => ({ ...d, from: String(from ?? d.from), to: String(to ?? d.to) })), [from, to]);
  const options = [...new Set([...versions, from, to].filter((v): v is number => v !== undefined))].sort((a, b) => b - a).map(String);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    setQuery({ from: draft.from, to: draft.to, context: draft.context === "3" ? undefined : draft.context });
  };
  return html`
    <form class="filters compare-form" onSubmit=${onSubmit} aria-label="Compare versions">
      <${SelectField} label="From version" value=${draft.from} options=${options} onValue=${(v: string) => setDraft({ ...draft, from: v })} />
      <${SelectField} label="To version" value=${draft.to} options=${options} onValue=${(v: string) => setDraft({ ...draft, to: v })} />
      <${TextField} label="Context lines" type="number" min="0" max="100" value=${draft.context} onValue=${(v: string) => setDraft({ ...draft, context: v })} />
      <button type="submit" class="button-primary" disabled=${options.length === 0}>Compare</button>
    </form>
  `;
}

function DiffPanel({ reportId, from, to, context }: { reportId: string; from: number; to: number; context: number }) {
  const diff = useResource(() => reports.diff(reportId, from, to, context), [reportId, from, to, context]);
  return html`
    <div>
      <${ErrorMessage} error=${diff.error} prefix="The versions cannot be compared" />
      ${diff.loading ? html`<${Loading} what="the differences" />` : null}
      ${diff.data !== undefined && !diff.loading ? html`<${DiffView} diff=${diff.data} from=${from} to=${to} />` : null}
    </div>
  `;
}

function VersionContent({ reportId, version }: { reportId: string; version: number }) {
  const content = useResource(() => reports.content(reportId, version), [reportId, version]);
  return html`
    <section aria-labelledby="content-heading">
      <h2 id="content-heading">Version ${version}</h2>
      <${ErrorMessage} error=${content.error} />
      ${content.loading && content.data === undefined ? html`<${Loading} what=${`version ${version}`} />` : null}
      ${content.data !== undefined ? html`<pre class="json content-view" tabindex="0" aria-label=${`Content of version ${version}`}>${content.data}</pre>` : null}
    </section>
  `;
}

export function ReportDetailPage({ params, query }: PageProps) {
  const id = params.id!;
  const path = `/reports/${encodeURIComponent(id)}`;
  const { can } = useSession();
  const cursor = query.get("cursor") ?? undefined;
  const report = useResource(() => reports.get(id), [id]);
  const versions = useResource(() => reports.versions(id, { limit: VERSIONS_PAGE, cursor }), [id, cursor]);
  const [deleting, setDeleting] = useState(false);
  const action = useAction();
  const [from, to, view] = [versionOf(query, "from"), versionOf(query, "to"), versionOf(query, "view")];
  const context = Math.min(100, Math.max(0, Number(query.get("context") ?? 3) || 0));
  const r = report.data;
  const numbers = (versions.data?.items ?? []).map((v) => v.version);
  const remove = () => action.run("delete", async () => (await reports.remove(id), navigate(href("/reports"))));
  return html`
    <section class="page">
      <p class="breadcrumb"><a href=${href("/reports")}>Reports</a> /</p>
      <h1>Report ${r ? r.name : html`<span class="mono">${id}</span>`}</h1>
      <${ErrorMessage} error=${report.error} />
      ${report.loading && !r ? html`<${Loading} what="the report" />` : null}
      ${r
        ? html`<div class="detail">
            <dl class="summary">
              <div><dt>Latest version</dt><dd>${r.latestVersion}</dd></div>
              <div><dt>Format</dt><dd>${r.latest?.format ?? "—"}</dd></div>
              <div><dt>Updated</dt><dd><${Time} iso=${r.updatedAt} short=${false} /></dd></div>
              <div><dt>Created</dt><dd><${Time} iso=${r.createdAt} short=${false} /></dd></div>
            </dl>
            ${can("reports:write")
              ? html`<div class="actions"><button type="button" class="button-danger" onClick=${() => (action.clear(), setDeleting(true))}>Delete report…</button></div>`
              : null}
            <section aria-labelledby="versions-heading">
              <h2 id="versions-heading">Versions</h2>
              <${ErrorMessage} error=${versions.error} />
              ${versions.data ? html`<${VersionTable} versions=${versions.data.items} path=${path} query=${query} />` : html`<${Loading} what="versions" />`}
              <${Pager} path=${path} query=${query} nextCursor=${versions.data?.nextCursor} label="Version pages" />
            </section>
            ${view ? html`<${VersionContent} reportId=${id} version=${view} />` : null}
            <section aria-labelledby="compare-heading">
              <h2 id="compare-heading">Compare versions</h2>
              ${versions.data ? html`<${CompareForm} versions=${numbers} from=${from} to=${to} context=${context} />` : null}
              ${from && to ? html`<${DiffPanel} reportId=${id} from=${from} to=${to} context=${context} />` : null}
            </section>
            ${can("reports:write")
              ? html`<section aria-labelledby="store-heading">
                  <h2 id="store-heading">Store a new version</h2>
                  <${ReportVersionForm} reportName=${r.name} format=${r.latest?.format} onStored=${() => (report.reload(), versions.reload())} />
                </section>`
              : null}
          </div>`
        : null}
      <${ConfirmDialog} open=${deleting} title="Delete this report?" confirmLabel="Delete report" busy=${action.busy === "delete"}
        onConfirm=${remove} onClose=${() => setDeleting(false)}>
        <p>Report ${r?.name ?? id} and every version it keeps are deleted for good.</p>
        <${ErrorMessage} error=${action.error} />
      </${ConfirmDialog}>
    </section>
  `;
}
