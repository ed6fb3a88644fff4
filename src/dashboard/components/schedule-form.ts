// Creates a schedule (POST /schedules) or changes one (PATCH /schedules/{id}). A timing the preview
// refuses, or fields the browser can check, keep it from being sent; the API's own refusal is shown
// at the fields it names.
import { useRef, useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { html } from "../html";
import { schedules } from "../resource-api";
import type { Schedule } from "../resource-types";
import { PRIORITIES, type Priority } from "../types";
import { TimingFields, previewIssues, useRunPreview } from "./cron-field";
import { CheckboxField, FormError, SelectField, TextAreaField, TextField, issueAt, issuesOf, otherIssues } from "./form-field";
import { type ScheduleDraft, createBody, draftOf, timingOf, updateBody } from "./schedule-draft";

/** Every path a field of the form shows; the API's issues at other paths are listed with the form's error. */
const SHOWN = ["name", "cron", "intervalMs", "timezone", "startsAt", "endsAt", "misfire", "catchUpLimit", "job.type", "job.input", "job.priority", "job.tags", "job.maxAttempts", "job.timeoutMs"];

const MISFIRE = [
  { value: "skip", label: "Skip runs missed while down" },
  { value: "catch_up", label: "Catch up on missed runs" },
];

interface ScheduleFormProps {
  /** The schedule to change; without it the form creates one. */
  original?: Schedule;
  onSaved: (schedule: Schedule) => void;
  onCancel?: () => void;
}

function JobFields({ draft, set, issues }: { draft: ScheduleDraft; set: (patch: Partial<ScheduleDraft>) => void; issues: ReturnType<typeof issuesOf> }) {
  return html`
    <fieldset class="form-section">
      <legend>The job it submits</legend>
      <div class="form-grid">
        <${TextField} label="Job type" value=${draft.jobType} required autocomplete="off" onValue=${(jobType: string) => set({ jobType })}
          error=${issueAt(issues, "job.type")} hint="e.g. simulate, http.request, report.generate." />
        <${SelectField} label="Priority" value=${draft.priority} options=${PRIORITIES} onValue=${(priority: string) => set({ priority: priority as Priority })}
          error=${issueAt(issues, "job.priority")} />
        <${TextAreaField} label="Input (JSON)" value=${draft.input} class="mono" rows="5" onValue=${(input: string) => set({ input })}
          error=${issueAt(issues, "job.input")} />
        <${TextField} label="Tags" value=${draft.tags} onValue=${(tags: string) => set({ tags })} error=${issueAt(issues, "job.tags")}
          hint="Comma separated; each run is also tagged schedule:<id>." />
        <${TextField} label="Max attempts" type="number" min="1" max="100" value=${draft.maxAttempts} onValue=${(maxAttempts: string) => set({ maxAttempts })}
          error=${issueAt(issues, "job.maxAttempts")} hint="Empty: the job type's default." />
        <${TextField} label="Time limit (ms)" type="number" min="100" value=${draft.timeoutMs} onValue=${(timeoutMs: string) => set({ timeoutMs })}
          error=${issueAt(issues, "job.timeoutMs")} hint="Per attempt. Empty: the job type's default." />
      </div>
    </fieldset>
  `;
}

export function ScheduleForm({ original, onSaved, onCancel }: ScheduleFormProps) {
  const [draft, setDraft] = useState(() => draftOf(original));
  const [attempted, setAttempted] = useState(false);
  const [refused, setRefused] = useState<{ text: string; error: boolean }>();
  const save = useAction();
  const form = useRef<HTMLFormElement>(null);
  const timing = timingOf(draft);
  const preview = useRunPreview(timing.timing);
  const server = issuesOf(save.error);
  const issues = [...server, ...(attempted ? createBody(draft).issues : []), ...previewIssues(preview).issues];
  const set = (patch: Partial<ScheduleDraft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setRefused(undefined);
    save.clear();
  };

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setAttempted(true);
    const built = original ? updateBody(draft, original) : createBody(draft);
    if (!built.body || previewIssues(preview).issues.length > 0) {
      setRefused({ text: "The schedule was not saved: correct the fields marked above.", error: true });
      // After the render that marks them.
      setTimeout(() => form.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus());
      return;
    }
    const body = built.body;
    if (original && Object.keys(body).length === 0) return setRefused({ text: "Nothing has changed: there is nothing to save.", error: false });
    save.run("save", async () => onSaved(original ? await schedules.update(original.id, body) : await schedules.create(body)));
  };
  const label = original ? "Save changes" : "Create schedule";
  return html`
    <form ref=${form} class="resource-form" onSubmit=${onSubmit} noValidate aria-label=${original ? "Edit schedule" : "New schedule"}>
      <div class="form-grid">
        <${TextField} label="Name" value=${draft.name} required autocomplete="off" onValue=${(name: string) => set({ name })} error=${issueAt(issues, "name")} />
      </div>
      <${TimingFields} draft=${draft} set=${set} issues=${issues} preview=${preview} blocked=${!timing.timing} />
      <${JobFields} draft=${draft} set=${set} issues=${issues} />
      <fieldset class="form-section">
        <legend>Missed runs and state</legend>
        <div class="form-grid">
          <${SelectField} label="Missed runs" value=${draft.misfire} options=${MISFIRE} onValue=${(misfire: string) => set({ misfire: misfire as ScheduleDraft["misfire"] })} />
          <${TextField} label="Catch-up limit" type="number" min="1" max="100" value=${draft.catchUpLimit}
            onValue=${(catchUpLimit: string) => set({ catchUpLimit })} error=${issueAt(issues, "catchUpLimit")} hint="At most this many missed runs are caught up." />
          ${original ? null : html`<${CheckboxField} label="Active" checked=${draft.enabled} onChecked=${(enabled: boolean) => set({ enabled })}
            hint="Runs start right away; leave it off to create the schedule paused." />`}
        </div>
      </fieldset>
      ${refused?.error ? html`<p class="message message-error" role="alert">${refused.text}</p>` : null}
      ${refused && !refused.error ? html`<p class="message message-info" role="status">${refused.text}</p>` : null}
      <${FormError} error=${save.error} issues=${otherIssues(server, SHOWN)} />
      <div class="button-row">
        <button type="submit" class="button-primary" disabled=${save.busy !== undefined} aria-busy=${save.busy !== undefined}>
          ${save.busy ? "Saving…" : label}
        </button>
        ${onCancel ? html`<button type="button" onClick=${onCancel}>Cancel</button>` : null}
      </div>
    </form>
  `;
}
