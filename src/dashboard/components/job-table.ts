import { formatDuration, jobDuration } from "../format";
import { html } from "../html";
import { href } from "../router";
import type { Job } from "../types";
import { StatusBadge, TableRegion, Time } from "./common";
import { ProgressBar } from "./progress-bar";

interface JobTableProps {
  items: Job[];
  /** Selection for bulk actions; without it, no checkboxes. */
  selection?: {
    selected: ReadonlySet<string>;
    toggle: (id: string, on: boolean) => void;
    toggleAll: (on: boolean) => void;
  };
  label?: string;
}

function SelectAll({ items, selection }: Required<JobTableProps>) {
  const all = items.length > 0 && items.every((job) => selection.selected.has(job.id));
  const some = !all && items.some((job) => selection.selected.has(job.id));
  return html`<input
    type="checkbox"
    aria-label="Select every job on this page"
    checked=${all}
    indeterminate=${some}
    onChange=${(e: Event) => selection.toggleAll((e.currentTarget as HTMLInputElement).checked)}
  />`;
}

function Row({ job, selection }: { job: Job; selection: JobTableProps["selection"] }) {
  const detail = [job.progress.stage, job.progress.message].filter(Boolean).join(": ");
  return html`
    <tr class=${selection?.selected.has(job.id) ? "selected" : undefined}>
      ${selection
        ? html`<td class="cell-select">
            <input
              type="checkbox"
              aria-label=${`Select job ${job.id}`}
              checked=${selection.selected.has(job.id)}
              onChange=${(e: Event) => selection.toggle(job.id, (e.currentTarget as HTMLInputElement).checked)}
            />
          </td>`
        : null}
      <td><a class="mono" href=${href(`/jobs/${encodeURIComponent(job.id)}`)}>${job.id}</a></td>
      <td>${job.type}</td>
      <td><${StatusBadge} status=${job.status} /></td>
      <td>${job.priority}</td>
      <td class="cell-progress">
        <${ProgressBar} compact percent=${job.progress.percent} label=${`Progress of job ${job.id}`} detail=${detail} />
        ${detail ? html`<span class="progress-detail">${detail}</span>` : null}
      </td>
      <td>${job.attempts} / ${job.maxAttempts}</td>
      <td>${job.tags.length ? job.tags.map((tag) => html`<span class="tag" key=${tag}>${tag}</span>`) : "—"}</td>
      <td><${Time} iso=${job.createdAt} /></td>
      <td>${formatDuration(jobDuration(job))}</td>
    </tr>
  `;
}

export function JobTable({ items, selection, label = "Jobs" }: JobTableProps) {
  return html`
    <${TableRegion} label=${label}>
      <table class="jobs-table">
        <thead>
          <tr>
            ${selection ? html`<th scope="col" class="cell-select"><${SelectAll} items=${items} selection=${selection} label=${label} /></th>` : null}
            <th scope="col">ID</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Progress</th>
            <th scope="col">Attempts</th>
            <th scope="col">Tags</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          ${items.map((job) => html`<${Row} key=${job.id} job=${job} selection=${selection} />`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}
