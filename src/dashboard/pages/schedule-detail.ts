import { useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { ErrorMessage, Loading, Notice, StatusBadge, TableRegion, Time } from "../components/common";
import { NextRuns } from "../components/cron-field";
import { ConfirmDialog } from "../components/dialog";
import { JobLink } from "../components/job-link";
import { Pager } from "../components/pager";
import { describeWhen } from "../components/schedule-draft";
import { ScheduleForm } from "../components/schedule-form";
import { useFeed, useResource, useThrottle } from "../hooks";
import { html } from "../html";
import { schedules } from "../resource-api";
import type { Schedule, ScheduleRun } from "../resource-types";
import type { PageProps } from "../routes";
import { href, navigate } from "../router";
import { useSession } from "../session";
import { scheduleActions } from "./schedules";

const REFETCH_MS = 2_000;
const TRIGGERS: Record<ScheduleRun["trigger"], string> = { schedule: "on time", catch_up: "caught up", manual: "manual" };

function Summary({ schedule: s }: { schedule: Schedule }) {
  const rows: [string, unknown][] = [
    ["Job type", s.job.type],
    ["When", s.cron ? html`<code>${s.cron}</code>` : describeWhen(s)],
    ["Time zone", s.timezone],
    ["State", html`<${StatusBadge} status=${s.enabled ? "active" : "paused"} />`],
    ["Starts", html`<${Time} iso=${s.startsAt} short=${false} />`],
    ["Ends", html`<${Time} iso=${s.endsAt} short=${false} />`],
    ["Missed runs", s.misfire === "skip" ? "skipped" : `caught up (at most ${s.catchUpLimit})`],
    ["Last run", html`<${Time} iso=${s.lastRunAt} short=${false} />`],
    ["Priority", s.job.priority],
    ["Created", html`<${Time} iso=${s.createdAt} short=${false} />`],
  ];
  return html`<dl class="summary">${rows.map(([term, value]) => html`<div key=${term}><dt>${term}</dt><dd>${value}</dd></div>`)}</dl>`;
}

function RunTable({ runs }: { runs: ScheduleRun[] }) {
  if (runs.length === 0) return html`<p class="muted">No run yet.</p>`;
  return html`
    <${TableRegion} label="Run history">
      <table>
        <thead><tr><th scope="col">Instant</th><th scope="col">Trigger</th><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Skipped because</th></tr></thead>
        <tbody>
          ${runs.map((run) => html`<tr key=${`${run.instant} ${run.trigger} ${run.jobId}`}>
            <td><${Time} iso=${run.instant} /></td>
            <td>${TRIGGERS[run.trigger]}</td>
            <td>${run.jobId ? html`<${JobLink} id=${run.jobId} />` : "—"}</td>
            <td>${run.jobStatus ? html`<${StatusBadge} status=${run.jobStatus} />` : run.skippedReason ? html`<${StatusBadge} status="skipped" />` : "—"}</td>
            <td class="cell-error">${run.skippedReason ?? "—"}</td>
          </tr>`)}
        </tbody>
      </table>
    </${TableRegion}>
  `;
}

/** The schedule's runs, newest first; refetched as their jobs change (and when `version` does). */
function RunsSection({ schedule, query, version }: { schedule: Schedule; query: URLSearchParams; version: number }) {
  const cursor = query.get("cursor") ?? undefined;
  const runs = useResource(() => schedules.runs(schedule.id, { limit: 50, cursor }), [schedule.id, cursor, version]);
  const refetch = useThrottle(runs.reload, REFETCH_MS);
  useFeed((event) => {
    // A run's job changing status, or a new job of the schedule's type (perhaps its next run).
    if (event.type === "reset") refetch();
    else if (event.type === "job" && (event.job.type === schedule.job.type || runs.data?.items.some((r) => r.jobId === event.job.id))) refetch();
  });
  return html`
    <section aria-labelledby="runs-heading">
      <h2 id="runs-heading">Runs</h2>
      <${ErrorMessage} error=${runs.error} />
      ${runs.loading && !runs.data ? html`<${Loading} what="runs" />` : null}
      ${runs.data ? html`<${RunTable} runs=${runs.data.items} />` : null}
      <${Pager} path=${`/schedules/${encodeURIComponent(schedule.id)}`} query=${query} nextCursor=${runs.data?.nextCursor} label="Run pages" />
    </section>
  `;
}

function NewSchedule() {
  const { can } = useSession();
  return html`
    <section class="page">
      <p class="breadcrumb"><a href=${href("/schedules")}>Schedules</a> /</p>
      <h1>New schedule</h1>
      ${can("jobs:write")
        ? html`<${ScheduleForm} onSaved=${(s: Schedule) => navigate(href(`/schedules/${encodeURIComponent(s.id)}`))} onCancel=${() => navigate(href("/schedules"))} />`
        : html`<${Notice}>Creating schedules needs the jobs:write scope.</${Notice}>`}
    </section>
  `;
}

function ScheduleView({ id, query }: { id: string; query: URLSearchParams }) {
  const { can } = useSession();
  const writable = can("jobs:write");
  const schedule = useResource(() => schedules.get(id), [id]);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [runsVersion, setRunsVersion] = useState(0);
  const reloadRuns = () => setRunsVersion((v) => v + 1);
  const action = useAction();
  const s = schedule.data;
  const { toggle, trigger } = scheduleActions(action, (changed) => schedule.update(() => changed));
  const remove = () =>
    action.run("delete", async () => {
      await schedules.remove(id);
      navigate(href("/schedules"));
    });
  const busy = action.busy !== undefined;
  return html`
    <section class="page">
      <p class="breadcrumb"><a href=${href("/schedules")}>Schedules</a> /</p>
      <h1>Schedule ${s ? s.name : html`<span class="mono">${id}</span>`}</h1>
      <${ErrorMessage} error=${schedule.error} />
      ${schedule.loading && !s ? html`<${Loading} what="the schedule" />` : null}
      ${s
        ? html`<div class="detail">
            <${Summary} schedule=${s} />
            ${writable
              ? html`<div class="actions" role="group" aria-label="Schedule actions">
                  <button type="button" onClick=${() => toggle(s)} disabled=${busy}>${s.enabled ? "Pause" : "Resume"}</button>
                  <button type="button" onClick=${() => trigger(s, reloadRuns)} disabled=${busy}>Trigger now</button>
                  <button type="button" onClick=${() => setEditing(!editing)} aria-expanded=${editing}>${editing ? "Close the editor" : "Edit"}</button>
                  <button type="button" class="button-danger" onClick=${() => (action.clear(), setDeleting(true))}>Delete schedule…</button>
                </div>`
              : null}
            ${action.notice ? html`<${Notice}>${action.notice}</${Notice}>` : null}
            ${deleting ? null : html`<${ErrorMessage} error=${action.error} />`}
            ${editing
              ? html`<section aria-labelledby="edit-heading">
                  <h2 id="edit-heading">Edit</h2>
                  <${ScheduleForm} key=${s.updatedAt} original=${s} onCancel=${() => setEditing(false)}
                    onSaved=${(changed: Schedule) => (schedule.update(() => changed), setEditing(false), reloadRuns())} />
                </section>`
              : null}
            <section aria-labelledby="next-heading">
              <h2 id="next-heading">Next runs</h2>
              ${s.enabled ? html`<${NextRuns} runs=${s.nextRuns} timezone=${s.timezone} />` : html`<p class="muted">Paused: no run is planned.</p>`}
            </section>
            <${RunsSection} schedule=${s} query=${query} version=${runsVersion} />
          </div>`
        : null}
      <${ConfirmDialog} open=${deleting} title="Delete this schedule?" confirmLabel="Delete schedule" busy=${action.busy === "delete"}
        onConfirm=${remove} onClose=${() => setDeleting(false)}>
        <p>Schedule ${s?.name ?? id} is deleted and the runs planned but not started are cancelled. Jobs it already submitted stay.</p>
        <${ErrorMessage} error=${action.error} />
      </${ConfirmDialog}>
    </section>
  `;
}

export function ScheduleDetailPage({ params, query }: PageProps) {
  return params.id === "new" ? html`<${NewSchedule} />` : html`<${ScheduleView} id=${params.id!} query=${query} />`;
}
