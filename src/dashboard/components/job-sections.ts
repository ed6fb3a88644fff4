// The parts of a job's page: its attempts, its log, its live events and a batch's items.
import { useState } from "preact/hooks";
import { jobs } from "../api";
import { formatDuration } from "../format";
import { useResource } from "../hooks";
import { html } from "../html";
import type { Attempt, BatchItem, JobEvent, JobLog } from "../types";
import { ErrorMessage, Loading, StatusBadge, TableRegion, Time } from "./common";

export function AttemptTimeline({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return html`<p class="muted">No attempt has started yet.</p>`;
  return html`
    <ol class="timeline">
      ${attempts.map(
        (a) => html`
          <li key=${`${a.series}-${a.attempt}`} class=${`timeline-${a.outcome}`}>
            <p>
              <strong>Attempt ${a.attempt}</strong>${a.series > 0 ? ` (run ${a.series + 1})` : ""}
              ${" "}<${StatusBadge} status=${a.outcome} />
            </p>
            <p class="muted">Started <${Time} iso=${a.startedAt} />, ${a.finishedAt ? `took ${formatDuration(a.durationMs)}` : "still running"}</p>
            ${a.error ? html`<p class="error-text">${a.error.name}: ${a.error.message}${a.error.retryable ? " (retryable)" : ""}</p>` : null}
          </li>
        `,
      )}
    </ol>
  `;
}

export function LogList({ logs }: { logs: JobLog[] }) {
  if (logs.length === 0) return html`<p class="muted">The job has logged nothing.</p>`;
  return html`
    <${TableRegion} label="Log lines">
      <table class="log-table">
        <thead><tr><th scope="col">Time</th><th scope="col">Attempt</th><th scope="col">Level</th><th scope="col">Message</th></tr></thead>
        <tbody>
          ${logs.map(
            (line) => html`
              <tr key=${line.seq}>
                <td><${Time} iso=${line.at} /></td>
                <td>${line.attempt}</td>
                <td><span class=${`badge badge-log-${line.level}`}>${line.level}</span></td>
                <td class="log-message">${line.message}</td>
              </tr>
            `,
          )}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

function describeEvent(event: JobEvent): string {
  switch (event.type) {
    case "snapshot":
      return `snapshot: ${event.job.status}, ${Math.round(event.job.progress.percent)}%`;
    case "progress":
      return `progress ${Math.round(event.percent)}%${event.stage ? ` · ${event.stage}` : ""}${event.message ? ` · ${event.message}` : ""}`;
    case "status":
      return `status ${event.status} (attempt ${event.attempt})${event.error ? `: ${event.error.message}` : ""}`;
  }
}

/** The stream as it arrives, newest last; not a live region (progress would be read out every second). */
export function EventList({ events }: { events: JobEvent[] }) {
  if (events.length === 0) return html`<p class="muted">No event yet.</p>`;
  return html`
    <ol class="events" tabindex="0" aria-label="Events received">
      ${events.map(
        (event) => html`
          <li key=${event.seq}>
            <span class="mono muted">#${event.seq}</span>
            ${"at" in event ? html` <${Time} iso=${event.at} />` : null}
            <span> ${describeEvent(event)}</span>
          </li>
        `,
      )}
    </ol>
  `;
}

/** A batch job's items, a page at a time ("Show more" appends the next). */
export function BatchItems({ jobId, version }: { jobId: string; version: number }) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const pages = useResource(
    () => Promise.all(cursors.map((cursor) => jobs.items(jobId, { limit: 100, cursor }))),
    [jobId, cursors, version],
  );
  const items: BatchItem[] = (pages.data ?? []).flatMap((page) => page.items);
  const next = pages.data?.[pages.data.length - 1]?.nextCursor;
  return html`
    <div>
      <${ErrorMessage} error=${pages.error} />
      ${pages.loading && !pages.data ? html`<${Loading} what="items" />` : null}
      ${items.length > 0
        ? html`<${TableRegion} label="Batch items">
            <table>
              <thead><tr><th scope="col">Item</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Finished</th><th scope="col">Error</th></tr></thead>
              <tbody>
                ${items.map(
                  (item) => html`<tr key=${item.index}>
                    <td>${item.index}</td>
                    <td><${StatusBadge} status=${item.status} /></td>
                    <td>${item.attempts}</td>
                    <td><${Time} iso=${item.finishedAt} /></td>
                    <td>${item.error ? `${item.error.name}: ${item.error.message}` : "—"}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </${TableRegion}>`
        : null}
      ${pages.data && items.length === 0 ? html`<p class="muted">No items.</p>` : null}
      ${next ? html`<button type="button" onClick=${() => setCursors((c) => [...c, next])}>Show more items</button>` : null}
    </div>
  `;
}
