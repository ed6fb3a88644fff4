// The overview's panels. GET /stats is still growing (windows, durationByType, stuck): each panel
// shows what the answer holds and falls back to the older fields, or says what is not there yet.
import { formatDuration, formatNumber, formatPercent } from "../format";
import { html } from "../html";
import { href } from "../router";
import type { Lanes, Stats, WindowFinishes } from "../types";
import { JOB_STATUSES } from "../types";
import { TableRegion } from "./common";

export function StatusCounts({ stats }: { stats: Stats }) {
  const counts = stats.byStatus ?? {};
  return html`
    <ul class="cards" aria-label="Jobs by status">
      ${JOB_STATUSES.map(
        (status) => html`
          <li key=${status}>
            <a href=${href("/jobs", { status })}>
              <span class="card-value">${formatNumber(counts[status] ?? 0)}</span>
              <span class="card-label">${status}</span>
            </a>
          </li>
        `,
      )}
      ${stats.stuck !== undefined
        ? html`<li><span class="card-value">${formatNumber(stats.stuck)}</span><span class="card-label">stuck</span></li>`
        : null}
      ${stats.total !== undefined
        ? html`<li><span class="card-value">${formatNumber(stats.total)}</span><span class="card-label">total</span></li>`
        : null}
    </ul>
  `;
}

const WINDOW_LABELS = { hour: "Last hour", day: "Last day", week: "Last week" } as const;

function failureRate(window: WindowFinishes): number | null {
  if (window.failureRate !== undefined) return window.failureRate;
  const finished = window.completed + window.failed;
  return finished === 0 ? null : window.failed / finished;
}

export function WindowTable({ stats }: { stats: Stats }) {
  const windows: [string, WindowFinishes | undefined][] = (["hour", "day", "week"] as const).map((name) => [
    WINDOW_LABELS[name],
    stats.windows?.[name] ?? (name === "hour" ? stats.lastHour : undefined),
  ]);
  return html`
    <${TableRegion} label="Throughput by window">
      <table>
        <thead><tr>
          <th scope="col">Window</th><th scope="col" class="numeric">Completed</th><th scope="col" class="numeric">Failed</th>
          <th scope="col" class="numeric">Per minute</th><th scope="col" class="numeric">Failure rate</th>
        </tr></thead>
        <tbody>
          ${windows.map(
            ([label, w]) => html`<tr key=${label}>
              <th scope="row">${label}</th>
              <td class="numeric">${formatNumber(w?.completed)}</td>
              <td class="numeric">${formatNumber(w?.failed)}</td>
              <td class="numeric">${w ? w.perMinute.toFixed(2) : "—"}</td>
              <td class="numeric">${w ? formatPercent(failureRate(w)) : "—"}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </${TableRegion}>
    ${stats.successRate !== undefined ? html`<p>Success rate over every finished job: <strong>${formatPercent(stats.successRate)}</strong></p>` : null}
  `;
}

export function DurationTable({ stats }: { stats: Stats }) {
  const byType = Object.entries(stats.durationByType ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const rows = byType.length > 0 ? byType : stats.durationMs ? [["every type", stats.durationMs] as const] : [];
  if (rows.length === 0) return html`<p class="muted">No job has completed yet.</p>`;
  return html`
    <${TableRegion} label="Run time per job type">
      <table>
        <thead><tr>
          <th scope="col">Type</th><th scope="col" class="numeric">p50</th><th scope="col" class="numeric">p95</th><th scope="col" class="numeric">Sample</th>
        </tr></thead>
        <tbody>
          ${rows.map(
            ([type, d]) => html`<tr key=${type}>
              <th scope="row">${type}</th>
              <td class="numeric">${formatDuration(d.p50)}</td>
              <td class="numeric">${formatDuration(d.p95)}</td>
              <td class="numeric">${formatNumber(d.sample)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

export function LaneDepth({ lanes }: { lanes: Lanes }) {
  return html`
    <${TableRegion} label="Queue depth per lane">
      <table>
        <thead><tr>
          <th scope="col">Lane</th><th scope="col" class="numeric">Depth</th><th scope="col" class="numeric">In flight</th>
          <th scope="col" class="numeric">Scheduled</th><th scope="col">State</th>
        </tr></thead>
        <tbody>
          ${lanes.items.map(
            (lane) => html`<tr key=${lane.lane}>
              <th scope="row">${lane.lane}</th>
              <td class="numeric">${formatNumber(lane.depth)}</td>
              <td class="numeric">${formatNumber(lane.inFlight)}</td>
              <td class="numeric">${formatNumber(lane.scheduled)}</td>
              <td>${lane.paused ? "paused" : "active"}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}
