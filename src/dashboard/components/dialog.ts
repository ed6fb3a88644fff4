// A modal dialog on the native <dialog>: showModal() makes the rest of the page inert, Escape closes
// it, and focus goes back to what opened it. Tab is kept inside as well (the browser would otherwise
// move on to its own toolbar).
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import { html } from "../html";

const FOCUSABLE = "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

function keepTabInside(event: KeyboardEvent) {
  if (event.key !== "Tab") return;
  const dialog = event.currentTarget as HTMLDialogElement;
  const focusable = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!first || !last) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** The buttons; a "Close" button is added when none is given. */
  actions?: ComponentChildren;
}

export function Dialog({ open, title, onClose, children, actions }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return html`
    <dialog ref=${ref} class="dialog" aria-labelledby=${titleId} onClose=${onClose} onKeyDown=${keepTabInside}>
      <h2 id=${titleId}>${title}</h2>
      <div class="dialog-body">${children}</div>
      <div class="dialog-actions">
        ${actions ?? html`<button type="button" onClick=${onClose}>Close</button>`}
      </div>
    </dialog>
  `;
}

interface ConfirmProps {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  busy?: boolean;
  /** False when there is nothing to confirm (e.g. no job matches): only "Close" is offered. */
  canConfirm?: boolean;
}

export function ConfirmDialog({ open, title, children, confirmLabel, onConfirm, onClose, busy = false, canConfirm = true }: ConfirmProps) {
  const actions = canConfirm
    ? html`<span class="button-row">
        <button type="button" onClick=${onClose}>Cancel</button>
        <button type="button" class="button-danger" onClick=${onConfirm} disabled=${busy} aria-busy=${busy}>
          ${busy ? "Working…" : confirmLabel}
        </button>
      </span>`
    : undefined;
  return html`<${Dialog} open=${open} title=${title} onClose=${onClose} actions=${actions}>${children}</${Dialog}>`;
}
