import { useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { ErrorMessage, Loading, Notice, StatusBadge, TableRegion, Time } from "../components/common";
import { ConfirmDialog } from "../components/dialog";
import { CheckboxField } from "../components/form-field";
import { KeyForm } from "../components/key-form";
import { NewKey } from "../components/new-key";
import { useResource } from "../hooks";
import { html } from "../html";
import { keys } from "../resource-api";
import type { ApiKey, CreatedKey } from "../resource-types";
import type { PageProps } from "../routes";
import { setQuery } from "../router";
import { useSession } from "../session";

function KeyTable({ items, onRevoke }: { items: ApiKey[]; onRevoke: (key: ApiKey) => void }) {
  return html`
    <${TableRegion} label="Key list">
      <table>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Tenant</th><th scope="col">Scopes</th><th scope="col">Prefix</th>
          <th scope="col">Created</th><th scope="col">Revoked</th><th scope="col">Actions</th>
        </tr></thead>
        <tbody>
          ${items.map((k) => html`<tr key=${k.id}>
            <td>${k.name}</td>
            <td>${k.tenant}</td>
            <td class="cell-tags">${k.scopes.map((scope) => html`<span class="tag mono" key=${scope}>${scope}</span>`)}</td>
            <td><code>${k.prefix}</code></td>
            <td><${Time} iso=${k.createdAt} /></td>
            <td>${k.revokedAt ? html`<${StatusBadge} status="revoked" /> <${Time} iso=${k.revokedAt} />` : "—"}</td>
            <td>${k.revokedAt ? null : html`<button type="button" class="button-danger" onClick=${() => onRevoke(k)} aria-label=${`Revoke key ${k.name}`}>Revoke</button>`}</td>
          </tr>`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

function KeyManager({ query }: { query: URLSearchParams }) {
  const includeRevoked = query.get("includeRevoked") === "true";
  const list = useResource(() => keys.list({ includeRevoked }), [includeRevoked]);
  const [created, setCreated] = useState<CreatedKey>();
  const [revoking, setRevoking] = useState<ApiKey>();
  const action = useAction();
  const revoke = (key: ApiKey) =>
    action.run("revoke", async () => {
      await keys.revoke(key.id);
      setRevoking(undefined);
      list.reload();
      return `Key ${key.name} (${key.prefix}…) is revoked: requests made with it are refused from now on.`;
    });
  const items = list.data?.items ?? [];
  return html`
    <section aria-labelledby="create-heading">
      <h2 id="create-heading">Create a key</h2>
      ${created ? html`<${NewKey} key=${created.id} created=${created} onDone=${() => setCreated(undefined)} />` : null}
      <${KeyForm} onCreated=${(key: CreatedKey) => (setCreated(key), list.reload())} />
    </section>
    <section aria-labelledby="keys-heading">
      <h2 id="keys-heading">Keys</h2>
      <${CheckboxField} label="Show revoked keys" checked=${includeRevoked} onChecked=${(on: boolean) => setQuery({ includeRevoked: on ? "true" : undefined })} />
      ${action.notice ? html`<${Notice}>${action.notice}</${Notice}>` : null}
      ${revoking ? null : html`<${ErrorMessage} error=${action.error} />`}
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data ? html`<${Loading} what="keys" />` : null}
      ${list.data && items.length === 0 ? html`<p class="muted">No keys${includeRevoked ? "" : " in use"}.</p>` : null}
      ${items.length > 0 ? html`<${KeyTable} items=${items} onRevoke=${(key: ApiKey) => (action.clear(), setRevoking(key))} />` : null}
    </section>
    <${ConfirmDialog} open=${revoking !== undefined} title="Revoke this key?" confirmLabel="Revoke key" busy=${action.busy === "revoke"}
      onConfirm=${() => revoking && revoke(revoking)} onClose=${() => setRevoking(undefined)}>
      <p>Key ${revoking?.name} of ${revoking?.tenant} (<code>${revoking?.prefix}…</code>) stops working at once, and so do dashboard
        sessions and watch tokens opened with it. This cannot be undone.</p>
      <${ErrorMessage} error=${action.error} />
    </${ConfirmDialog}>
  `;
}

export function KeysPage({ query }: PageProps) {
  const { can } = useSession();
  return html`
    <section class="page">
      <h1>Keys</h1>
      ${can("admin")
        ? html`<${KeyManager} query=${query} />`
        : html`<${Notice}>Managing keys needs a key with the admin scope.</${Notice}>`}
    </section>
  `;
}
