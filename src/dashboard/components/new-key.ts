// A key just created, shown this once (only its hash is stored): in a read-only field to select,
// with a button that copies it, and a warning that it will not be shown again.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { html } from "../html";
import type { CreatedKey } from "../resource-types";

/** Copies from the field itself when the Clipboard API is missing or refused (an insecure origin, a policy). */
function copyBySelection(input: HTMLInputElement | null): boolean {
  if (!input) return false;
  input.focus();
  input.select();
  return document.execCommand("copy");
}

export function NewKey({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string>();
  // Where a keyboard or screen reader user is taken, so the key and its warning are read first.
  useEffect(() => heading.current?.focus(), [created.id]);
  const copy = () => {
    const fallback = () => setCopied(copyBySelection(field.current) ? "Copied to the clipboard." : "Copying failed: select the key and copy it yourself.");
    if (navigator.clipboard?.writeText) navigator.clipboard.writeText(created.key).then(() => setCopied("Copied to the clipboard."), fallback);
    else fallback();
  };
  return html`
    <section class="new-key" aria-labelledby=${`${id}-heading`}>
      <h2 id=${`${id}-heading`} ref=${heading} tabindex="-1">New key ${created.name} for ${created.tenant}</h2>
      <p class="message message-warn" id=${`${id}-warning`}>
        <strong>Copy this key now: it will not be shown again.</strong> Only its hash is stored; a lost key can only be revoked and replaced.
      </p>
      <div class="field form-field">
        <label for=${`${id}-key`}>New API key</label>
        <div class="key-row">
          <input ref=${field} id=${`${id}-key`} class="mono" type="text" readOnly value=${created.key} spellcheck="false"
            autocomplete="off" aria-describedby=${`${id}-warning`} onFocus=${(e: Event) => (e.currentTarget as HTMLInputElement).select()} />
          <button type="button" class="button-primary" onClick=${copy}>Copy key</button>
        </div>
      </div>
      <p class="muted" role="status">${copied ?? ""}</p>
      <p>Scopes: ${created.scopes.join(", ")}. Prefix <code>${created.prefix}</code>, as the key list shows it.</p>
      <button type="button" onClick=${onDone}>Done, I have stored it</button>
    </section>
  `;
}
