// Creates an API key (POST /keys): a name, the tenant it acts for and its scopes. A tenant's admin
// key makes keys of its own tenant only; the platform's admin key of any tenant.
import { useState } from "preact/hooks";
import { sessions } from "../api";
import { useAction } from "../action-hooks";
import { useResource } from "../hooks";
import { html } from "../html";
import { keys } from "../resource-api";
import { type CreatedKey, KEY_SCOPES, type KeyScope } from "../resource-types";
import { useSession } from "../session";
import { FormError, type Issue, TextField, issueAt, issuesOf, otherIssues } from "./form-field";

const SCOPE_HINTS: Record<KeyScope, string> = {
  "jobs:read": "read jobs, schedules, documents",
  "jobs:write": "submit and change them",
  "reports:read": "read reports and templates",
  "reports:write": "store reports, change templates",
  "metrics:read": "scrape GET /metrics",
  admin: "every scope, keys and settings",
};

function ScopeBoxes({ scopes, onChange, error }: { scopes: KeyScope[]; onChange: (scopes: KeyScope[]) => void; error?: string }) {
  const toggle = (scope: KeyScope, on: boolean) => onChange(on ? [...scopes, scope] : scopes.filter((s) => s !== scope));
  return html`
    <fieldset class="form-section scope-boxes" aria-describedby=${error ? "key-scopes-error" : undefined}>
      <legend>Scopes</legend>
      ${KEY_SCOPES.map((scope) => html`
        <label class="check" key=${scope}>
          <input type="checkbox" checked=${scopes.includes(scope)} onChange=${(e: Event) => toggle(scope, (e.currentTarget as HTMLInputElement).checked)} />
          <span><span class="mono">${scope}</span> <span class="muted">(${SCOPE_HINTS[scope]})</span></span>
        </label>
      `)}
      ${error ? html`<p id="key-scopes-error" class="field-error" role="alert">${error}</p>` : null}
    </fieldset>
  `;
}

export function KeyForm({ onCreated }: { onCreated: (key: CreatedKey) => void }) {
  const { session } = useSession();
  const platform = session.platform === true;
  const tenants = useResource(async () => (platform ? sessions.tenants() : undefined), [platform]);
  const [name, setName] = useState("");
  const [tenant, setTenant] = useState(platform ? "" : session.tenant);
  const [scopes, setScopes] = useState<KeyScope[]>(["jobs:read", "jobs:write"]);
  const [local, setLocal] = useState<Issue[]>([]);
  const action = useAction();
  const issues = [...local, ...issuesOf(action.error)];
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Issue[] = [];
    if (!name.trim()) found.push({ path: "name", message: "Enter a name that says who or what uses the key." });
    if (!tenant.trim()) found.push({ path: "tenant", message: "Enter the tenant the key acts for." });
    if (scopes.length === 0) found.push({ path: "scopes", message: "Choose at least one scope." });
    setLocal(found);
    if (found.length > 0) return;
    action.run("create", async () => {
      onCreated(await keys.create({ name: name.trim(), tenant: tenant.trim(), scopes }));
      setName("");
    });
  };
  return html`
    <form class="resource-form" onSubmit=${onSubmit} aria-label="Create a key" noValidate>
      <div class="form-grid">
        <${TextField} label="Name" value=${name} onValue=${setName} required autocomplete="off" error=${issueAt(issues, "name")} />
        <${TextField} label="Tenant" value=${tenant} onValue=${setTenant} required autocomplete="off" spellcheck="false" readOnly=${!platform}
          list=${platform ? "key-tenants" : undefined} error=${issueAt(issues, "tenant")}
          hint=${platform ? "Any tenant: lowercase letters, digits, - and _." : "A tenant's admin key makes keys of its own tenant."} />
        ${platform ? html`<datalist id="key-tenants">${(tenants.data?.items ?? []).map((t) => html`<option key=${t.tenant} value=${t.tenant} />`)}</datalist>` : null}
      </div>
      <${ScopeBoxes} scopes=${scopes} onChange=${setScopes} error=${issueAt(issues, "scopes")} />
      <${FormError} error=${action.error} issues=${otherIssues(issuesOf(action.error), ["name", "tenant", "scopes"])} />
      <div class="button-row">
        <button type="submit" class="button-primary" disabled=${action.busy !== undefined} aria-busy=${action.busy !== undefined}>
          ${action.busy ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  `;
}
