// When a schedule runs: a cron expression or an interval, its time zone and window, checked by the
// API as it is typed (POST /schedules/preview, after a pause) with the next run times shown.
import { useEffect, useId, useState } from "preact/hooks";
import { useDebounced } from "../hooks";
import { html } from "../html";
import { schedules } from "../resource-api";
import type { ScheduleTiming } from "../resource-types";
import { type Issue, SelectField, TextField, issueAt, issuesOf } from "./form-field";
import { INTERVAL_UNITS, type IntervalUnit, type ScheduleDraft } from "./schedule-draft";

const PREVIEW_DELAY_MS = 300;
const PREVIEW_RUNS = 5;
const ZONES: readonly string[] = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["UTC"];

export interface RunPreview {
  nextRuns?: string[];
  error?: Error;
  /** The timing shown differs from the one last checked: an answer is on its way. */
  pending: boolean;
}

/** The next runs of `timing` from the API, asked once the typing has paused. */
export function useRunPreview(timing: ScheduleTiming | undefined): RunPreview {
  const key = timing ? JSON.stringify(timing) : "";
  const settled = useDebounced(key, PREVIEW_DELAY_MS);
  const [answer, setAnswer] = useState<{ key: string; nextRuns?: string[]; error?: Error }>({ key: "" });
  useEffect(() => {
    if (!settled) return;
    let current = true;
    schedules.preview({ ...(JSON.parse(settled) as ScheduleTiming), count: PREVIEW_RUNS }).then(
      ({ nextRuns }) => current && setAnswer({ key: settled, nextRuns }),
      (error: Error) => current && setAnswer({ key: settled, error }),
    );
    return () => {
      current = false;
    };
  }, [settled]);
  if (!key) return { pending: false };
  return { nextRuns: answer.nextRuns, error: answer.error, pending: key !== answer.key };
}

/** An instant in the schedule's own zone (the zone it is evaluated in), or the browser's if the zone is unknown. */
export function formatInZone(iso: string, timeZone: string): string {
  const options = { dateStyle: "medium", timeStyle: "short" } as const;
  try {
    return `${new Intl.DateTimeFormat(undefined, { ...options, timeZone }).format(new Date(iso))} (${timeZone})`;
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
  }
}

export function NextRuns({ runs, timezone, label = "Next runs" }: { runs: string[]; timezone: string; label?: string }) {
  if (runs.length === 0) return html`<p class="muted">No run is due${label === "Next runs" ? "" : " in this window"}.</p>`;
  return html`
    <ol class="next-runs" aria-label=${label}>
      ${runs.map((at) => html`<li key=${at}><time datetime=${at}>${formatInZone(at, timezone)}</time></li>`)}
    </ol>
  `;
}

/** The issues of a preview's refusal, by the field they name; a refusal naming none is `general`. */
export function previewIssues(preview: RunPreview): { issues: Issue[]; general?: Error } {
  const issues = issuesOf(preview.error);
  return { issues, general: preview.error && issues.length === 0 ? preview.error : undefined };
}

function PreviewPanel({ preview, timezone, blocked }: { preview: RunPreview; timezone: string; blocked: boolean }) {
  const { general } = previewIssues(preview);
  let body;
  if (blocked) body = html`<p class="muted">The next runs show once the timing is complete.</p>`;
  else if (preview.error) body = html`<p class="muted">No preview: ${general ? general.message : "correct the timing above."}</p>`;
  else if (preview.nextRuns) body = html`<${NextRuns} runs=${preview.nextRuns} timezone=${timezone} />`;
  else body = html`<p class="muted">Checking…</p>`;
  return html`
    <section class="run-preview" aria-labelledby="run-preview-heading" aria-live="polite" aria-busy=${preview.pending}>
      <p id="run-preview-heading" class="run-preview-title">Next runs${preview.pending ? html` <span class="muted">(checking…)</span>` : null}</p>
      ${body}
    </section>
  `;
}

interface TimingFieldsProps {
  draft: ScheduleDraft;
  set: (patch: Partial<ScheduleDraft>) => void;
  /** Issues found before sending, then the API's (on save, then from the preview). */
  issues: Issue[];
  preview: RunPreview;
  blocked: boolean;
}

export function TimingFields({ draft, set, issues, preview, blocked }: TimingFieldsProps) {
  const zones = useId();
  const kind = (value: ScheduleDraft["kind"], label: string) => html`
    <label class="check"><input type="radio" name="timing-kind" value=${value} checked=${draft.kind === value}
      onChange=${() => set({ kind: value })} /> ${label}</label>`;
  return html`
    <fieldset class="form-section">
      <legend>When it runs</legend>
      <fieldset class="radio-row"><legend>Runs on</legend>${kind("cron", "Cron expression")}${kind("interval", "Fixed interval")}</fieldset>
      <div class="form-grid">
        ${draft.kind === "cron"
          ? html`<${TextField} label="Cron" value=${draft.cron} onValue=${(cron: string) => set({ cron })} class="mono"
              spellcheck="false" autocomplete="off" required error=${issueAt(issues, "cron")}
              hint="5 fields: minute hour day-of-month month day-of-week (6 with seconds first), e.g. 0 9 * * MON-FRI." />`
          : html`<div class="field-pair">
              <${TextField} label="Interval" type="number" min="1" step="any" value=${draft.interval} required
                onValue=${(interval: string) => set({ interval })} error=${issueAt(issues, "intervalMs")} />
              <${SelectField} label="Unit" value=${draft.unit} options=${Object.keys(INTERVAL_UNITS)}
                onValue=${(unit: string) => set({ unit: unit as IntervalUnit })} />
            </div>`}
        <${TextField} label="Time zone" value=${draft.timezone} list=${zones} autocomplete="off" spellcheck="false"
          onValue=${(timezone: string) => set({ timezone })} error=${issueAt(issues, "timezone")} hint="An IANA zone, e.g. Europe/Berlin." />
        <datalist id=${zones}>${ZONES.map((zone) => html`<option key=${zone} value=${zone} />`)}</datalist>
        <${TextField} label="Starts at" type="datetime-local" value=${draft.startsAt} onValue=${(startsAt: string) => set({ startsAt })}
          error=${issueAt(issues, "startsAt")} hint="Optional: no run before it (your local time)." />
        <${TextField} label="Ends at" type="datetime-local" value=${draft.endsAt} onValue=${(endsAt: string) => set({ endsAt })}
          error=${issueAt(issues, "endsAt")} hint="Optional: no run after it." />
      </div>
      <${PreviewPanel} preview=${preview} timezone=${draft.timezone} blocked=${blocked} />
    </fieldset>
  `;
}
