import { useId, useState } from "preact/hooks";
import { sessions } from "../api";
import { useResource } from "../hooks";
import { html } from "../html";
import { useSession } from "../session";

/** The platform's own tenant: the admin key's, where an admin session starts. */
const ADMIN_TENANT = "admin";

/** For an admin session: which tenant the session acts as. */
export function TenantSwitcher() {
  const { session, switchTenant } = useSession();
  // GET /tenants answers the platform's own views only: an admin session acting as a tenant is
  // refused, so it offers the platform and its current tenant until it switches back.
  const platform = session.platform ?? session.tenant === ADMIN_TENANT;
  const tenants = useResource(() => (platform ? sessions.tenants() : Promise.resolve({ items: [] })), []);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  const names = [...new Set([ADMIN_TENANT, session.tenant, ...(tenants.data?.items ?? []).map((t) => t.tenant)])].sort();

  const onChange = (event: Event) => {
    const tenant = (event.currentTarget as HTMLSelectElement).value;
    setBusy(true);
    setError(undefined);
    switchTenant(tenant)
      .catch((e: Error) => setError(e.message))
      .finally(() => setBusy(false));
  };
  return html`
    <span class="tenant-switcher">
      <label for=${id}>Tenant</label>
      <select id=${id} value=${session.tenant} onChange=${onChange} disabled=${busy} aria-describedby=${error ? `${id}-error` : undefined}>
        ${names.map((name) => html`<option key=${name} value=${name}>${name}</option>`)}
      </select>
      ${error || tenants.error
        ? html`<span id=${`${id}-error`} class="inline-error" role="alert">${error ?? `tenants: ${tenants.error!.message}`}</span>`
        : null}
    </span>
  `;
}
