import { type ActionState, useAction } from "../action-hooks";
import { ErrorMessage, Loading, Notice, StatusBadge, TableRegion, Time } from "../components/common";
import { JobLink } from "../components/job-link";
import { Pager } from "../components/pager";
import { describeWhen } from "../components/schedule-draft";
import { type Resource, useResource } from "../hooks";
import { html } from "../html";
import { schedules } from "../resource-api";
import type { Schedule } from "../resource-types";
import type { PageProps } from "../routes";
import { href } from "../router";
import { useSession } from "../session";
import type { Page } from "../types";

/** How many of a schedule's next runs a row shows. */
const ROW_RUNS = 3;

const scheduleHref = (s: Schedule) => href(`/schedules/${encodeURIComponent(s.id)}`);

/** Pause, resume and trigger, shared by the list's rows and a schedule's page. */
export function scheduleActions(action: ActionState, onChanged: (schedule: Schedule) => void) {
  return {
    toggle: (s: Schedule) =>
      action.run(`toggle ${s.id}`, async () => {
        const changed = await (s.enabled ? schedules.pause(s.id) : schedules.resume(s.id));
        onChanged(changed);
        return `Schedule ${changed.name} is ${changed.enabled ? "active again" : "paused"}.`;
      }),
    trigger: (s: Schedule, onTriggered?: () => void) =>
      action.run(`trigger ${s.id}`, async () => {
        const job = await schedules.trigger(s.id);
        onTriggered?.();
        return html`<span>Schedule ${s.name} submitted job <${JobLink} id=${job.id} />.</span>`;
      }),
  };
}

function Row({ schedule: s, writable, action, onChanged }: { schedule: Schedule; writable: boolean; action: ActionState; onChanged: (s: Schedule) => void }) {
  const { toggle, trigger } = scheduleActions(action, onChanged);
  return html`
    <tr>
      <td><a href=${scheduleHref(s)}>${s.name}</a></td>
      <td>${s.job.type}</td>
      <td>${s.cron ? html`<code>${s.cron}</code>` : describeWhen(s)}</td>
      <td>${s.timezone}</td>
      <td><${StatusBadge} status=${s.enabled ? "active" : "paused"} /></td>
      <td>
        ${s.nextRuns.length === 0
          ? "—"
          : html`<ul class="plain-list">${s.nextRuns.slice(0, ROW_RUNS).map((at) => html`<li key=${at}><${Time} iso=${at} /></li>`)}</ul>`}
      </td>
      ${writable
        ? html`<td class="cell-actions">
            <button type="button" onClick=${() => toggle(s)} disabled=${action.busy !== undefined} aria-label=${`${s.enabled ? "Pause" : "Resume"} schedule ${s.name}`}>
              ${s.enabled ? "Pause" : "Resume"}
            </button>
            <button type="button" onClick=${() => trigger(s)} disabled=${action.busy !== undefined} aria-label=${`Trigger now: schedule ${s.name}`}>Trigger now</button>
          </td>`
        : null}
    </tr>
  `;
}

function ScheduleTable({ list, writable, action }: { list: Resource<Page<Schedule>>; writable: boolean; action: ActionState }) {
  const onChanged = (changed: Schedule) => list.update((page) => ({ ...page, items: page.items.map((s) => (s.id === changed.id ? changed : s)) }));
  return html`
    <${TableRegion} label="Schedules">
      <table>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Job type</th><th scope="col">When</th><th scope="col">Time zone</th>
          <th scope="col">State</th><th scope="col">Next runs</th>${writable ? html`<th scope="col">Actions</th>` : null}
        </tr></thead>
        <tbody>
          ${list.data!.items.map((s) => html`<${Row} key=${s.id} schedule=${s} writable=${writable} action=${action} onChanged=${onChanged} />`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

export function SchedulesPage({ query }: PageProps) {
  const { can } = useSession();
  const writable = can("jobs:write");
  const cursor = query.get("cursor") ?? undefined;
  const list = useResource(() => schedules.list({ limit: 50, cursor }), [cursor]);
  const action = useAction();
  const items = list.data?.items ?? [];
  return html`
    <section class="page">
      <h1>Schedules</h1>
      <div class="toolbar">
        <p class="muted">Jobs submitted on a cron expression or at a fixed interval. Next runs are shown in your time zone.</p>
        ${writable ? html`<a class="button-link button-primary" href=${href("/schedules/new")}>New schedule</a>` : null}
      </div>
      ${writable ? null : html`<${Notice}>This key can read schedules but not change them (it lacks the jobs:write scope).</${Notice}>`}
      ${action.notice ? html`<${Notice}>${action.notice}</${Notice}>` : null}
      <${ErrorMessage} error=${action.error} />
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data ? html`<${Loading} what="schedules" />` : null}
      ${list.data && items.length === 0 ? html`<p class="muted">No schedules yet.</p>` : null}
      ${items.length > 0 ? html`<${ScheduleTable} list=${list} writable=${writable} action=${action} />` : null}
      <${Pager} path="/schedules" query=${query} nextCursor=${list.data?.nextCursor} label="Schedule pages" />
    </section>
  `;
}
