import { sessions } from "../api";
import { ErrorMessage, Loading } from "../components/common";
import { SelectField } from "../components/form-field";
import { RateLimits } from "../components/rate-limits";
import { QuotaForm, SettingsForm } from "../components/settings-form";
import { useResource } from "../hooks";
import { html } from "../html";
import { settings as settingsApi } from "../resource-api";
import type { TenantSettings } from "../resource-types";
import type { PageProps } from "../routes";
import { setQuery } from "../router";
import { useSession } from "../session";

/** The platform's admin reads and changes any tenant's settings (?tenant=); others their own. */
function TenantChooser({ tenant }: { tenant: string }) {
  const tenants = useResource(() => sessions.tenants(), []);
  const names = [...new Set(["admin", tenant, ...(tenants.data?.items ?? []).map((t) => t.tenant)])].sort();
  return html`
    <form class="filters" aria-label="Choose a tenant" onSubmit=${(e: Event) => e.preventDefault()}>
      <${SelectField} label="Settings of tenant" value=${tenant} options=${names}
        onValue=${(value: string) => setQuery({ tenant: value === "admin" ? undefined : value })}
        error=${tenants.error ? `The tenants could not be listed: ${tenants.error.message}` : undefined} />
    </form>
  `;
}

export function SettingsPage({ query }: PageProps) {
  const { session, can } = useSession();
  const platform = session.platform === true;
  const tenant = platform ? (query.get("tenant") ?? undefined) : undefined;
  const current = useResource(() => settingsApi.get(tenant), [tenant]);
  const data = current.data;
  const onSaved = (saved: TenantSettings) => current.update(() => saved);
  // A form starts from the settings it was given: a new tenant's settings start it again.
  const formKey = `${tenant ?? session.tenant}`;
  return html`
    <section class="page">
      <h1>Settings</h1>
      ${platform ? html`<${TenantChooser} tenant=${tenant ?? "admin"} />` : null}
      <${ErrorMessage} error=${current.error} />
      ${current.loading && !data ? html`<${Loading} what="settings" />` : null}
      ${data
        ? html`
            <section aria-labelledby="retention-heading">
              <h2 id="retention-heading">Retention and limits</h2>
              <${SettingsForm} key=${formKey} settings=${data} tenant=${tenant} onSaved=${onSaved}
                canReports=${can("reports:write")} canAdmin=${can("admin")} />
            </section>
            <section aria-labelledby="quotas-heading">
              <h2 id="quotas-heading">Quotas</h2>
              <${QuotaForm} key=${formKey} settings=${data} tenant=${tenant} onSaved=${onSaved} editable=${platform} />
            </section>`
        : null}
      <section aria-labelledby="rate-heading">
        <h2 id="rate-heading">Rate limits</h2>
        <p class="muted">Submissions of the tenant ${session.tenant} per action${platform ? " (switch tenant in the top bar to see another's)" : ""}.</p>
        <${RateLimits} key=${session.tenant} editable=${can("admin")} />
      </section>
    </section>
  `;
}
