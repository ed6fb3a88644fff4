import { useState } from "preact/hooks";
import { queues } from "../api";
import { ErrorMessage, Loading, Notice, StatusBadge, TableRegion } from "../components/common";
import { formatNumber } from "../format";
import { useFeed, useResource, useThrottle } from "../hooks";
import { html } from "../html";
import { useSession } from "../session";
import type { Lane } from "../types";

const REFETCH_MS = 2_000;

function LaneRow({ lane, controls, busy, onToggle }: { lane: Lane; controls: boolean; busy: boolean; onToggle: () => void }) {
  return html`
    <tr>
      <th scope="row">${lane.lane}</th>
      <td><${StatusBadge} status=${lane.paused ? "paused" : "active"} /></td>
      <td class="numeric">${formatNumber(lane.depth)}</td>
      <td class="numeric">${formatNumber(lane.inFlight)}</td>
      <td class="numeric">${formatNumber(lane.scheduled)}</td>
      ${controls
        ? html`<td>
            <button type="button" onClick=${onToggle} disabled=${busy} aria-label=${`${lane.paused ? "Resume" : "Pause"} the ${lane.lane} lane`}>
              ${lane.paused ? "Resume" : "Pause"}
            </button>
          </td>`
        : null}
    </tr>
  `;
}

/** Queue depth per priority lane, live; the platform's admin pauses and resumes lanes here. */
export function QueuesPage() {
  const { can } = useSession();
  const lanes = useResource(() => queues.list(), []);
  const refetch = useThrottle(lanes.reload, REFETCH_MS);
  useFeed((event) => {
    if (event.type === "job" || event.type === "reset") refetch();
  });
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<Error>();
  // Lanes are shared by every tenant: only the platform's admin (acting as itself) may pause them.
  const controls = can("admin") && lanes.data?.scope === "platform";
  const toggle = (lane: Lane) => {
    setBusy(lane.lane);
    setError(undefined);
    (lane.paused ? queues.resume(lane.lane) : queues.pause(lane.lane)).then(
      (changed) => {
        lanes.update((data) => ({ ...data, items: data.items.map((l) => (l.lane === changed.lane ? { ...l, paused: changed.paused } : l)) }));
        setBusy(undefined);
        lanes.reload();
      },
      (e: Error) => {
        setError(e);
        setBusy(undefined);
      },
    );
  };
  return html`
    <section class="page">
      <h1>Queues</h1>
      <p class="muted">
        ${lanes.data?.scope === "platform" ? "Every tenant's jobs, per priority lane." : "Your tenant's jobs, per priority lane."}${" "}
        Depth counts jobs due now; scheduled ones are due later. A paused lane accepts jobs but starts none.
      </p>
      <${ErrorMessage} error=${error} />
      <${ErrorMessage} error=${lanes.error} />
      ${lanes.loading && !lanes.data ? html`<${Loading} what="queues" />` : null}
      ${lanes.data
        ? html`<${TableRegion} label="Lanes">
            <table>
              <thead><tr>
                <th scope="col">Lane</th><th scope="col">State</th><th scope="col" class="numeric">Depth</th>
                <th scope="col" class="numeric">In flight</th><th scope="col" class="numeric">Scheduled</th>
                ${controls ? html`<th scope="col">Actions</th>` : null}
              </tr></thead>
              <tbody>
                ${lanes.data.items.map((lane) => html`<${LaneRow} key=${lane.lane} lane=${lane} controls=${controls} busy=${busy === lane.lane} onToggle=${() => toggle(lane)} />`)}
              </tbody>
            </table>
          </${TableRegion}>`
        : null}
      ${lanes.data && !controls ? html`<${Notice}>Pausing and resuming lanes is for the platform's admin key.</${Notice}>` : null}
    </section>
  `;
}
