// The rate limits in force for the tenant (GET /rate-limits): the job types' defaults and its own
// rules. An admin sets a rule for an action (PUT) in a dialog, or removes its own (DELETE) so the
// default applies again.
import { useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { ApiError } from "../api";
import { formatDuration, formatNumber } from "../format";
import { useResource } from "../hooks";
import { html } from "../html";
import { rateLimits } from "../resource-api";
import type { RateLimitRule } from "../resource-types";
import { ErrorMessage, Loading, Notice, TableRegion } from "./common";
import { Dialog } from "./dialog";
import { FormError, type Issue, SelectField, TextField, issueAt, issuesOf, otherIssues } from "./form-field";

interface RuleDraft {
  action: string;
  limit: string;
  windowSeconds: string;
  mode: RateLimitRule["mode"];
  /** Editing a rule in force: its action is fixed. */
  existing: boolean;
}

const MODES = [
  { value: "reject", label: "reject (answer 429)" },
  { value: "throttle", label: "throttle (accept, start later)" },
];

interface RuleDialogProps {
  open: boolean;
  draft: RuleDraft;
  actions: string[];
  onClose: () => void;
  onSaved: (rule: RateLimitRule) => void;
}

function RuleDialog({ open, draft, actions, onClose, onSaved }: RuleDialogProps) {
  const [rule, setRule] = useState(draft);
  const [local, setLocal] = useState<Issue[]>([]);
  const save = useAction();
  const issues = [...local, ...issuesOf(save.error)];
  const set = (patch: Partial<RuleDraft>) => setRule({ ...rule, ...patch });
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const body = { limit: Number(rule.limit), windowMs: Math.round(Number(rule.windowSeconds) * 1000), mode: rule.mode };
    const found: Issue[] = [];
    if (!rule.action.trim()) found.push({ path: "action", message: "Enter a job type, or refresh." });
    if (!Number.isInteger(body.limit) || body.limit < 1) found.push({ path: "limit", message: "Enter a whole number of at least 1." });
    if (!(body.windowMs >= 1000)) found.push({ path: "windowMs", message: "Enter a window of at least 1 second." });
    setLocal(found);
    if (found.length > 0) return;
    save.run("save", async () => onSaved(await rateLimits.put(rule.action.trim(), body)));
  };
  const actionError = save.error instanceof ApiError && save.error.code === "unknown_action" ? save.error.message : issueAt(issues, "action");
  const footer = html`<span class="button-row">
    <button type="button" onClick=${onClose}>Cancel</button>
    <button type="submit" form="rate-limit-form" class="button-primary" disabled=${save.busy !== undefined}>${save.busy ? "Saving…" : "Save rate limit"}</button>
  </span>`;
  return html`
    <${Dialog} open=${open} title=${draft.existing ? `Rate limit for ${draft.action}` : "Add a rate limit"} onClose=${onClose} actions=${footer}>
      <form id="rate-limit-form" class="resource-form" onSubmit=${onSubmit} noValidate>
        <${TextField} label="Action" value=${rule.action} onValue=${(action: string) => set({ action })} readOnly=${draft.existing} required
          list="rate-limit-actions" autocomplete="off" spellcheck="false" error=${actionError} hint="A job type, or refresh for POST /refresh." />
        <datalist id="rate-limit-actions">${actions.map((a) => html`<option key=${a} value=${a} />`)}</datalist>
        <${TextField} label="Limit" type="number" min="1" value=${rule.limit} onValue=${(limit: string) => set({ limit })} required
          error=${issueAt(issues, "limit")} hint="Submissions allowed per window." />
        <${TextField} label="Window (seconds)" type="number" min="1" value=${rule.windowSeconds} onValue=${(windowSeconds: string) => set({ windowSeconds })}
          required error=${issueAt(issues, "windowMs")} />
        <${SelectField} label="Mode" value=${rule.mode} options=${MODES} onValue=${(mode: string) => set({ mode: mode as RuleDraft["mode"] })}
          error=${issueAt(issues, "mode")} />
        ${actionError ? null : html`<${FormError} error=${save.error} issues=${otherIssues(issuesOf(save.error), ["action", "limit", "windowMs", "mode"])} />`}
      </form>
    </${Dialog}>
  `;
}

function RuleTable({ items, editable, onEdit, onRemove }: { items: RateLimitRule[]; editable: boolean; onEdit: (r: RateLimitRule) => void; onRemove: (r: RateLimitRule) => void }) {
  return html`
    <${TableRegion} label="Rate limit rules">
      <table>
        <thead><tr>
          <th scope="col">Action</th><th scope="col" class="numeric">Limit</th><th scope="col">Window</th><th scope="col">Mode</th><th scope="col">Source</th>
          ${editable ? html`<th scope="col">Actions</th>` : null}
        </tr></thead>
        <tbody>
          ${items.map((r) => html`<tr key=${r.action}>
            <th scope="row" class="mono">${r.action}</th>
            <td class="numeric">${formatNumber(r.limit)}</td>
            <td>${formatDuration(r.windowMs)}</td>
            <td>${r.mode}</td>
            <td>${r.source === "tenant" ? "set for this tenant" : "job type default"}</td>
            ${editable
              ? html`<td class="cell-actions">
                  <button type="button" onClick=${() => onEdit(r)} aria-label=${`Edit rate limit for ${r.action}`}>Edit</button>
                  ${r.source === "tenant" ? html`<button type="button" class="button-danger" onClick=${() => onRemove(r)} aria-label=${`Remove rule for ${r.action}`}>Remove rule</button>` : null}
                </td>`
              : null}
          </tr>`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

const NEW_RULE: RuleDraft = { action: "", limit: "60", windowSeconds: "60", mode: "reject", existing: false };

export function RateLimits({ editable }: { editable: boolean }) {
  const list = useResource(() => rateLimits.list(), []);
  // Kept mounted while closed, so that closing it returns focus to the button that opened it.
  const [dialog, setDialog] = useState({ draft: NEW_RULE, open: false, opened: 0 });
  const close = () => setDialog((d) => ({ ...d, open: false }));
  const action = useAction();
  const items = list.data?.items ?? [];
  const edit = (r?: RateLimitRule) => {
    const draft = r ? { action: r.action, limit: String(r.limit), windowSeconds: String(r.windowMs / 1000), mode: r.mode, existing: true } : NEW_RULE;
    setDialog((d) => ({ draft, open: true, opened: d.opened + 1 }));
  };
  const remove = (r: RateLimitRule) =>
    action.run(`remove ${r.action}`, async () => (await rateLimits.remove(r.action), list.reload(), `Your rule for ${r.action} is removed: the job type's default applies, if it has one.`));
  const onSaved = (rule: RateLimitRule) => {
    close();
    list.reload();
    action.run("saved", async () => `Rate limit for ${rule.action}: ${formatNumber(rule.limit)} per ${formatDuration(rule.windowMs)}, ${rule.mode}.`);
  };
  return html`
    <div>
      ${action.notice ? html`<${Notice}>${action.notice}</${Notice}>` : null}
      <${ErrorMessage} error=${action.error} />
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data ? html`<${Loading} what="rate limits" />` : null}
      ${list.data && items.length === 0 ? html`<p class="muted">No rate limit is in force.</p>` : null}
      ${items.length > 0 ? html`<${RuleTable} items=${items} editable=${editable} onEdit=${edit} onRemove=${remove} />` : null}
      ${editable ? html`<button type="button" onClick=${() => edit()}>Add a rate limit</button>` : html`<p class="hint">Changing rate limits needs the admin scope.</p>`}
      <${RuleDialog} key=${dialog.opened} open=${dialog.open} draft=${dialog.draft} actions=${items.map((r) => r.action)} onClose=${close} onSaved=${onSaved} />
    </div>
  `;
}
