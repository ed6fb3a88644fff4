// Cancel, retry and replay one job. Replay submits a new job of the same type, input and options.
import { useState } from "preact/hooks";
import { jobs } from "../api";
import { html } from "../html";
import { href, navigate } from "../router";
import type { Job } from "../types";
import { ErrorMessage } from "./common";
import { ConfirmDialog } from "./dialog";

const CANCELLABLE = ["queued", "running", "retrying"];
const RETRYABLE = ["failed", "cancelled"];
/** How job views show credential headers given inline (src/secrets/redact.ts). */
const REDACTED = "[redacted]";

/** The submission that runs `job` again as a new job; no idempotency key, which would answer `job` itself. */
export function replayOf(job: Job): Record<string, unknown> {
  return {
    type: job.type,
    input: job.input,
    priority: job.priority,
    tags: job.tags,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    ...(job.concurrencyKey ? { concurrencyKey: job.concurrencyKey } : {}),
  };
}

type Dialog = "cancel" | "replay" | undefined;

export function JobActions({ job, onChanged }: { job: Job; onChanged: (job: Job) => void }) {
  const [dialog, setDialog] = useState<Dialog>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    action().then(
      () => {
        setBusy(false);
        setDialog(undefined);
      },
      (e: Error) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  const open = (which: Dialog) => {
    setError(undefined);
    setDialog(which);
  };
  const cancel = () => run(async () => onChanged(await jobs.cancel(job.id)));
  const retry = () => run(async () => onChanged(await jobs.retry(job.id)));
  const replay = () => run(async () => navigate(href(`/jobs/${encodeURIComponent((await jobs.submit(replayOf(job))).id)}`)));
  const redacted = JSON.stringify(job.input ?? null).includes(REDACTED);
  return html`
    <div class="actions" role="group" aria-label="Job actions">
      ${CANCELLABLE.includes(job.status) ? html`<button type="button" class="button-danger" onClick=${() => open("cancel")}>Cancel job</button>` : null}
      ${RETRYABLE.includes(job.status) ? html`<button type="button" onClick=${retry} disabled=${busy}>Retry job</button>` : null}
      <button type="button" onClick=${() => open("replay")}>Replay as a new job</button>
    </div>
    ${dialog === undefined ? html`<${ErrorMessage} error=${error} />` : null}
    <${ConfirmDialog} open=${dialog === "cancel"} title="Cancel this job?" confirmLabel="Cancel job" onConfirm=${cancel} onClose=${() => setDialog(undefined)} busy=${busy}>
      <p>Job <span class="mono">${job.id}</span> (${job.type}) stops: a running attempt is aborted and no retry follows.</p>
      <${ErrorMessage} error=${error} />
    </${ConfirmDialog}>
    <${ConfirmDialog} open=${dialog === "replay"} title="Replay this job?" confirmLabel="Submit new job" onConfirm=${replay} onClose=${() => setDialog(undefined)} busy=${busy}>
      <p>A new ${job.type} job is submitted with this job's input, priority, tags, attempts and time limit.</p>
      ${redacted ? html`<p class="message message-warn">The input shows credential headers as ${REDACTED}: the new job gets that text, not the original values.</p>` : null}
      <${ErrorMessage} error=${error} />
    </${ConfirmDialog}>
  `;
}
