import { useEffect, useState } from "preact/hooks";
import { deadLetters } from "../api";
import { ErrorMessage, Loading, Notice, TableRegion, Time } from "../components/common";
import { ConfirmDialog } from "../components/dialog";
import { Pager } from "../components/pager";
import { useDebounced, useFeed, useResource, useThrottle } from "../hooks";
import { html } from "../html";
import type { PageProps } from "../routes";
import { href, setQuery } from "../router";
import { useSession } from "../session";
import type { DeadLetter } from "../types";

const REFETCH_MS = 2_000;

type Confirming = { kind: "delete"; letter: DeadLetter } | { kind: "purge" } | undefined;

function TypeFilter({ value }: { value: string }) {
  const [text, setText] = useState(value);
  const settled = useDebounced(text, 400);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (settled.trim() !== value) setQuery({ type: settled.trim() || undefined, cursor: undefined }, { replace: true });
  }, [settled]);
  return html`
    <form class="filters" role="search" aria-label="Filter dead letters" onSubmit=${(e: Event) => e.preventDefault()}>
      <div class="field">
        <label for="dead-letter-type">Type</label>
        <input id="dead-letter-type" type="text" value=${text} onInput=${(e: Event) => setText((e.currentTarget as HTMLInputElement).value)} />
      </div>
    </form>
  `;
}

function Row({ letter, writable, onReplay, onDelete }: { letter: DeadLetter; writable: boolean; onReplay: () => void; onDelete: () => void }) {
  const error = letter.error ?? letter.job.error;
  return html`
    <tr>
      <td><a class="mono" href=${href(`/jobs/${encodeURIComponent(letter.job.id)}`)}>${letter.job.id}</a></td>
      <td>${letter.job.type}</td>
      <td><${Time} iso=${letter.failedAt} /></td>
      <td>${letter.job.attempts} / ${letter.job.maxAttempts}</td>
      <td class="cell-error">${error ? `${error.name}: ${error.message}` : "—"}</td>
      ${writable
        ? html`<td class="cell-actions">
            <button type="button" onClick=${onReplay} aria-label=${`Replay job ${letter.job.id}`}>Replay</button>
            <button type="button" class="button-danger" onClick=${onDelete} aria-label=${`Delete dead letter ${letter.job.id}`}>Delete</button>
          </td>`
        : null}
    </tr>
  `;
}

function DeadLetterTable({ items, writable, onReplay, onDelete }: {
  items: DeadLetter[];
  writable: boolean;
  onReplay: (letter: DeadLetter) => void;
  onDelete: (letter: DeadLetter) => void;
}) {
  return html`
    <${TableRegion} label="Dead letters">
      <table>
        <thead><tr>
          <th scope="col">Job</th><th scope="col">Type</th><th scope="col">Failed</th><th scope="col">Attempts</th><th scope="col">Error</th>
          ${writable ? html`<th scope="col">Actions</th>` : null}
        </tr></thead>
        <tbody>
          ${items.map((letter) => html`<${Row} key=${letter.job.id} letter=${letter} writable=${writable}
            onReplay=${() => onReplay(letter)} onDelete=${() => onDelete(letter)} />`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

/** Replay, delete and purge, each reporting what it did or why it failed. */
function useDeadLetterActions(reload: () => void) {
  const [confirming, setConfirming] = useState<Confirming>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [notice, setNotice] = useState<string>();
  const act = (action: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    action().then(
      (done) => {
        setNotice(done);
        setConfirming(undefined);
        setBusy(false);
        reload();
      },
      (e: Error) => {
        setError(e);
        setBusy(false);
      },
    );
  };
  return {
    confirming,
    busy,
    error,
    notice,
    confirm: (which: Confirming) => {
      setError(undefined);
      setConfirming(which);
    },
    close: () => setConfirming(undefined),
    replay: (letter: DeadLetter) => act(async () => `Job ${(await deadLetters.replay(letter.job.id)).id} is queued again.`),
    remove: (letter: DeadLetter) => act(async () => (await deadLetters.remove(letter.job.id), `Dead letter ${letter.job.id} deleted.`)),
    purge: () => act(async () => `${(await deadLetters.purge()).purged} dead letters deleted.`),
  };
}

export function DeadLettersPage({ query }: PageProps) {
  const { can } = useSession();
  const writable = can("jobs:write");
  const type = query.get("type") ?? "";
  const cursor = query.get("cursor") ?? undefined;
  const list = useResource(() => deadLetters.list({ type, cursor, limit: 50 }), [query.toString()]);
  const refetch = useThrottle(list.reload, REFETCH_MS);
  useFeed((event) => {
    // A job that fails for good lands here; one of the list retried elsewhere leaves it.
    if (event.type === "reset" || (event.type === "job" && (event.job.status === "failed" || list.data?.items.some((l) => l.job.id === event.job.id)))) refetch();
  });
  const actions = useDeadLetterActions(list.reload);
  const { confirming } = actions;
  const items = list.data?.items ?? [];
  return html`
    <section class="page">
      <h1>Dead letters</h1>
      <p class="muted">Jobs that failed for good. Replaying one runs it again as a new attempt series; deleting it keeps the job in the job list.</p>
      <div class="toolbar">
        <${TypeFilter} value=${type} />
        ${writable ? html`<button type="button" class="button-danger" onClick=${() => actions.confirm({ kind: "purge" })}>Purge all…</button>` : null}
      </div>
      ${actions.notice ? html`<${Notice}>${actions.notice}</${Notice}>` : null}
      ${confirming ? null : html`<${ErrorMessage} error=${actions.error} />`}
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data ? html`<${Loading} what="dead letters" />` : null}
      ${list.data && items.length === 0 ? html`<p class="muted">No dead letters.</p>` : null}
      ${items.length > 0
        ? html`<${DeadLetterTable} items=${items} writable=${writable} onReplay=${actions.replay}
            onDelete=${(letter: DeadLetter) => actions.confirm({ kind: "delete", letter })} />`
        : null}
      <${Pager} path="/dead-letters" query=${query} nextCursor=${list.data?.nextCursor} label="Dead letter pages" />
      <${ConfirmDialog}
        open=${confirming !== undefined}
        title=${confirming?.kind === "purge" ? "Purge every dead letter?" : "Delete this dead letter?"}
        confirmLabel=${confirming?.kind === "purge" ? "Purge all" : "Delete"}
        busy=${actions.busy}
        onConfirm=${() => (confirming?.kind === "purge" ? actions.purge() : confirming && actions.remove(confirming.letter))}
        onClose=${actions.close}
      >
        <p>${confirming?.kind === "purge"
          ? "Every dead letter of the tenant is discarded (not only this page). The failed jobs stay in the job list."
          : `The dead letter of job ${confirming?.kind === "delete" ? confirming.letter.job.id : ""} is discarded; the job stays in the job list.`}</p>
        <${ErrorMessage} error=${actions.error} />
      </${ConfirmDialog}>
    </section>
  `;
}
