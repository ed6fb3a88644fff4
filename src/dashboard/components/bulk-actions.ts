// Cancel or retry many jobs: the selected ones, or every job the filters match. A dry run counts
// them first and the dialog says how many; the action itself runs as a `jobs.bulk` job, watched here.
import { useEffect, useState } from "preact/hooks";
import { jobs } from "../api";
import { formatNumber } from "../format";
import { html } from "../html";
import { useWatchedJob } from "../job-watch";
import { href } from "../router";
import type { BulkAction, BulkFilter, BulkRequest } from "../types";
import { FINAL_STATUSES } from "../types";
import { ErrorMessage, StatusBadge } from "./common";
import { ConfirmDialog } from "./dialog";
import { ProgressBar } from "./progress-bar";

const VERB: Record<BulkAction, string> = { cancel: "Cancel", retry: "Retry" };

interface Pending {
  request: BulkRequest;
  matched?: number;
  error?: Error;
  busy?: boolean;
}

function describe(request: BulkRequest, matched: number): string {
  const jobsText = `${formatNumber(matched)} job${matched === 1 ? "" : "s"}`;
  const verb = request.action === "cancel" ? "cancelled" : "run again";
  if (matched === 0) return "No job matches: nothing would change.";
  return "ids" in request
    ? `${jobsText} of the ${formatNumber(request.ids.length)} selected will be ${verb}.`
    : `${jobsText} matching the filters will be ${verb}.`;
}

/** The running bulk job: its progress, and what it changed once finished. */
function BulkProgress({ jobId, onFinished }: { jobId: string; onFinished: () => void }) {
  const { job } = useWatchedJob(jobId);
  const finished = job !== undefined && FINAL_STATUSES.includes(job.status);
  useEffect(() => {
    if (finished) onFinished();
  }, [finished]);
  const result = job?.result as { matched?: number; changed?: number; skipped?: number } | null | undefined;
  return html`
    <div class="bulk-progress" role="group" aria-label="Bulk action">
      <p>
        Bulk action <a class="mono" href=${href(`/jobs/${encodeURIComponent(jobId)}`)}>${jobId}</a>
        ${job ? html` <${StatusBadge} status=${job.status} />` : null}
      </p>
      <${ProgressBar} percent=${job?.progress.percent ?? 0} label="Progress of the bulk action" detail=${job?.progress.stage} />
      ${result && typeof result.changed === "number"
        ? html`<p role="status">Changed ${formatNumber(result.changed)} of ${formatNumber(result.matched)} matched; ${formatNumber(result.skipped)} skipped.</p>`
        : null}
      ${job?.error ? html`<p class="message message-error" role="alert">${job.error.message}</p>` : null}
    </div>
  `;
}

interface BulkActionsProps {
  selectedIds: string[];
  filter: BulkFilter;
  /** A search (q) narrows the list but not a bulk filter: "all matching" is then not offered. */
  searching: boolean;
  onDone: () => void;
}

export function BulkActions({ selectedIds, filter, searching, onDone }: BulkActionsProps) {
  const [pending, setPending] = useState<Pending>();
  const [running, setRunning] = useState<string>();

  const start = (request: BulkRequest) => {
    setPending({ request });
    jobs.countBulk(request).then(
      ({ matched }) => setPending((p) => p && p.request === request ? { ...p, matched } : p),
      (error: Error) => setPending((p) => p && p.request === request ? { ...p, error } : p),
    );
  };
  const confirm = () => {
    if (!pending) return;
    setPending({ ...pending, busy: true, error: undefined });
    jobs.bulk(pending.request).then(
      (job) => {
        setPending(undefined);
        setRunning(job.id);
      },
      (error: Error) => setPending((p) => p && { ...p, busy: false, error }),
    );
  };
  const action = pending?.request.action ?? "cancel";
  const count = selectedIds.length;
  return html`
    <div class="bulk" role="group" aria-label="Bulk actions">
      <span class="bulk-count" aria-live="polite">${formatNumber(count)} selected</span>
      <button type="button" disabled=${count === 0} onClick=${() => start({ action: "cancel", ids: selectedIds })}>Cancel selected</button>
      <button type="button" disabled=${count === 0} onClick=${() => start({ action: "retry", ids: selectedIds })}>Retry selected</button>
      <button type="button" disabled=${searching} onClick=${() => start({ action: "cancel", filter })}>Cancel all matching…</button>
      <button type="button" disabled=${searching} onClick=${() => start({ action: "retry", filter })}>Retry all matching…</button>
      ${searching ? html`<span class="hint">Bulk actions by filter ignore the search: clear it to act on every match.</span>` : null}
    </div>
    ${running ? html`<${BulkProgress} key=${running} jobId=${running} onFinished=${onDone} />` : null}
    <${ConfirmDialog}
      open=${pending !== undefined}
      title=${`${VERB[action]} jobs?`}
      confirmLabel=${pending?.matched === undefined ? `${VERB[action]} jobs` : `${VERB[action]} ${formatNumber(pending.matched)} jobs`}
      canConfirm=${pending?.matched !== undefined && pending.matched > 0}
      busy=${pending?.busy}
      onConfirm=${confirm}
      onClose=${() => setPending(undefined)}
    >
      ${pending?.matched === undefined && !pending?.error ? html`<p role="status">Counting the jobs this would change…</p>` : null}
      ${pending?.matched !== undefined ? html`<p>${describe(pending.request, pending.matched)}</p>` : null}
      <${ErrorMessage} error=${pending?.error} />
    </${ConfirmDialog}>
  `;
}
