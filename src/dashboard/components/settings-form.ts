// A tenant's settings (PUT /settings): how many report versions are kept, how long finished jobs
// are, how many of its jobs run at once; and its quotas, which only the platform's admin sets. Each
// form sends only what changed, and the API's validation errors are shown at their fields.
import { useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { formatNumber } from "../format";
import { html } from "../html";
import { settings as settingsApi } from "../resource-api";
import { QUOTA_LABELS, type QuotaName, type SettingsUpdate, type TenantSettings } from "../resource-types";
import { Notice, TableRegion } from "./common";
import { type ControlIds, Field, FormError, type Issue, TextField, issueAt, issuesOf, otherIssues } from "./form-field";

/** A limit typed in a field: null when empty (no limit of its own), NaN when not a whole number. */
function limitOf(text: string): number | null {
  if (text.trim() === "") return null;
  const value = Number(text);
  return Number.isInteger(value) ? value : Number.NaN;
}

const textOf = (value: number | null) => (value === null ? "" : String(value));

interface FormProps {
  settings: TenantSettings;
  tenant?: string;
  onSaved: (settings: TenantSettings) => void;
}

function useSave(tenant: string | undefined, onSaved: (s: TenantSettings) => void) {
  const action = useAction();
  const [local, setLocal] = useState<Issue[]>([]);
  const save = (body: SettingsUpdate, found: Issue[]) => {
    setLocal(found);
    if (found.length > 0) return;
    if (Object.keys(body).length === 0) return action.run("save", async () => "Nothing has changed.");
    action.run("save", async () => (onSaved(await settingsApi.put(body, tenant)), "Settings saved."));
  };
  return { action, save, issues: [...local, ...issuesOf(action.error)] };
}

export function SettingsForm({ settings, tenant, onSaved, canReports, canAdmin }: FormProps & { canReports: boolean; canAdmin: boolean }) {
  const [keep, setKeep] = useState(textOf(settings.reports.keepVersions));
  const [retention, setRetention] = useState(textOf(settings.jobs.retentionDays));
  const [concurrency, setConcurrency] = useState(textOf(settings.jobs.concurrencyLimit));
  const { action, save, issues } = useSave(tenant, onSaved);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Issue[] = [];
    const checked = (path: string, text: string) => {
      const value = limitOf(text);
      if (Number.isNaN(value)) found.push({ path, message: "Enter a whole number, or leave it empty." });
      return value;
    };
    const body: SettingsUpdate = {};
    if (canReports && keep !== textOf(settings.reports.keepVersions)) body.reports = { keepVersions: checked("reports.keepVersions", keep) };
    const jobs: NonNullable<SettingsUpdate["jobs"]> = {};
    if (canAdmin && retention !== textOf(settings.jobs.retentionDays)) jobs.retentionDays = checked("jobs.retentionDays", retention);
    if (canAdmin && concurrency !== textOf(settings.jobs.concurrencyLimit)) jobs.concurrencyLimit = checked("jobs.concurrencyLimit", concurrency);
    if (Object.keys(jobs).length > 0) body.jobs = jobs;
    save(body, found);
  };
  const needs = (scope: string) => `Changing it needs the ${scope} scope.`;
  return html`
    <form class="resource-form" onSubmit=${onSubmit} aria-label="Tenant settings" noValidate>
      <div class="form-grid">
        <${TextField} label="Report versions kept" type="number" min="1" value=${keep} onValue=${setKeep} disabled=${!canReports}
          error=${issueAt(issues, "reports.keepVersions", "reports")} hint=${canReports ? "Per report, by the scheduled cleanup. Empty: keep every version." : needs("reports:write")} />
        <${TextField} label="Job retention (days)" type="number" min="1" max="3650" value=${retention} onValue=${setRetention} disabled=${!canAdmin}
          error=${issueAt(issues, "jobs.retentionDays")}
          hint=${canAdmin ? `How long finished jobs are kept. Empty: the platform default (now ${formatNumber(settings.jobs.effectiveRetentionDays)} days).` : needs("admin")} />
        <${TextField} label="Concurrency limit" type="number" min="1" max="10000" value=${concurrency} onValue=${setConcurrency} disabled=${!canAdmin}
          error=${issueAt(issues, "jobs.concurrencyLimit", "jobs")} hint=${canAdmin ? "At most this many of the tenant's jobs run at once. Empty: no limit." : needs("admin")} />
      </div>
      <${FormError} error=${action.error} issues=${otherIssues(issuesOf(action.error), ["reports", "jobs"])} />
      ${action.notice ? html`<${Notice}>${action.notice}</${Notice}>` : null}
      ${canReports || canAdmin
        ? html`<div class="button-row"><button type="submit" class="button-primary" disabled=${action.busy !== undefined}>${action.busy ? "Saving…" : "Save settings"}</button></div>`
        : null}
    </form>
  `;
}

function QuotaRow({ name, settings, value, onValue, editable, error }: {
  name: QuotaName; settings: TenantSettings; value: string; onValue: (v: string) => void; editable: boolean; error?: string;
}) {
  const use = settings.quotas[name];
  return html`<tr>
    <th scope="row">${QUOTA_LABELS[name]}</th>
    <td class="numeric">${formatNumber(use.used)}</td>
    <td class="numeric">${formatNumber(use.limit)}</td>
    <td>${use.source === "override" ? "set for this tenant" : "platform default"}</td>
    ${editable
      ? html`<td><${Field} label=${`Limit for ${QUOTA_LABELS[name].toLowerCase()}`} hiddenLabel error=${error}>
          ${(ids: ControlIds) => html`<input id=${ids.id} type="number" min="0" value=${value} placeholder="default"
            onInput=${(e: Event) => onValue((e.currentTarget as HTMLInputElement).value)} aria-describedby=${ids.describedBy} aria-invalid=${ids.invalid} />`}
        </${Field}></td>`
      : null}
  </tr>`;
}

export function QuotaForm({ settings, tenant, onSaved, editable }: FormProps & { editable: boolean }) {
  const names = Object.keys(QUOTA_LABELS) as QuotaName[];
  const initial = (name: QuotaName) => (settings.quotas[name].source === "override" ? String(settings.quotas[name].limit) : "");
  const [values, setValues] = useState(() => Object.fromEntries(names.map((n) => [n, initial(n)])) as Record<QuotaName, string>);
  const { action, save, issues } = useSave(tenant, onSaved);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Issue[] = [];
    const quotas: NonNullable<SettingsUpdate["quotas"]> = {};
    for (const name of names.filter((n) => values[n] !== initial(n))) {
      quotas[name] = limitOf(values[name]);
      if (Number.isNaN(quotas[name])) found.push({ path: `quotas.${name}`, message: "Enter a whole number, or leave it empty for the default." });
    }
    save(Object.keys(quotas).length > 0 ? { quotas } : {}, found);
  };
  return html`
    <form onSubmit=${onSubmit} aria-label="Quotas" noValidate>
      <${TableRegion} label="Quota use">
        <table>
          <thead><tr><th scope="col">Quota</th><th scope="col" class="numeric">Used</th><th scope="col" class="numeric">Limit</th><th scope="col">Source</th>
            ${editable ? html`<th scope="col">New limit</th>` : null}</tr></thead>
          <tbody>${names.map((name) => html`<${QuotaRow} key=${name} name=${name} settings=${settings} editable=${editable} value=${values[name]}
            onValue=${(v: string) => setValues({ ...values, [name]: v })} error=${issueAt(issues, `quotas.${name}`)} />`)}</tbody>
        </table>
      </${TableRegion}>
      <${FormError} error=${action.error} issues=${otherIssues(issuesOf(action.error), ["quotas"])} />
      ${action.notice ? html`<${Notice}>${action.notice}</${Notice}>` : null}
      ${editable
        ? html`<p class="hint">An empty limit returns the quota to the platform default.</p>
            <div class="button-row"><button type="submit" class="button-primary" disabled=${action.busy !== undefined}>${action.busy ? "Saving…" : "Save quotas"}</button></div>`
        : html`<p class="hint">Quotas are set by the platform's admin key.</p>`}
    </form>
  `;
}
