import { useState } from "preact/hooks";
import { jobs } from "../api";
import { ErrorMessage, JsonBlock, Loading, StatusBadge, Time } from "../components/common";
import { JobActions } from "../components/job-actions";
import { AttemptTimeline, BatchItems, EventList, LogList } from "../components/job-sections";
import { ProgressBar } from "../components/progress-bar";
import { formatDuration, jobDuration } from "../format";
import { useResource, useThrottle } from "../hooks";
import { html } from "../html";
import { applyJobEvent, useJobEvents } from "../job-watch";
import type { LinkState } from "../live";
import type { PageProps } from "../routes";
import { href } from "../router";
import { useSession } from "../session";
import type { Job } from "../types";
import { FINAL_STATUSES } from "../types";

/** Status events refetch the job's record, attempts and log at most this often. */
const REFETCH_MS = 2_000;

const STREAM_TEXT: Record<LinkState, string> = {
  idle: "",
  open: "Watching live",
  connecting: "Connecting to the event stream…",
  closed: "Event stream closed",
};

function Summary({ job }: { job: Job }) {
  const rows: [string, unknown][] = [
    ["Type", job.type],
    ["Status", html`<${StatusBadge} status=${job.status} />`],
    ["Priority", job.priority],
    ["Attempts", `${job.attempts} / ${job.maxAttempts}`],
    ["Created", html`<${Time} iso=${job.createdAt} short=${false} />`],
    ["Started", html`<${Time} iso=${job.startedAt} short=${false} />`],
    ["Finished", html`<${Time} iso=${job.finishedAt} short=${false} />`],
    ["Duration", formatDuration(jobDuration(job))],
    ["Time limit", formatDuration(job.timeoutMs)],
    ["Durable", job.durable ? "yes (a Workflow)" : "no"],
    ["Tags", job.tags.length ? job.tags.join(", ") : "—"],
  ];
  if (job.idempotencyKey) rows.push(["Idempotency key", job.idempotencyKey]);
  if (job.concurrencyKey) rows.push(["Concurrency key", job.concurrencyKey]);
  return html`<dl class="summary">${rows.map(([term, value]) => html`<div key=${term}><dt>${term}</dt><dd>${value}</dd></div>`)}</dl>`;
}

function LiveProgress({ job, stream }: { job: Job; stream: LinkState }) {
  const detail = [job.progress.stage, job.progress.message].filter(Boolean).join(": ");
  return html`
    <section aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <${ProgressBar} percent=${job.progress.percent} label=${`Progress of job ${job.id}`} detail=${detail} />
      <p class="progress-detail">${detail || html`<span class="muted">No stage reported.</span>`}</p>
      <p class=${`live live-${stream}`}>
        ${stream === "closed" && FINAL_STATUSES.includes(job.status) ? "Finished: the job sends no more events." : STREAM_TEXT[stream]}
      </p>
    </section>
  `;
}

function Section({ id, title, children }: { id: string; title: string; children: unknown }) {
  return html`<section aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}

/** The job, its attempts and log, kept current from its event stream. */
function useLiveJob(id: string) {
  const job = useResource(() => jobs.get(id), [id]);
  const attempts = useResource(() => jobs.attempts(id), [id]);
  const logs = useResource(() => jobs.logs(id), [id]);
  const [version, setVersion] = useState(0);
  const [generation, setGeneration] = useState(0);
  const refresh = useThrottle(() => {
    job.reload();
    attempts.reload();
    logs.reload();
    setVersion((v) => v + 1);
  }, REFETCH_MS);
  const watch = useJobEvents(
    id,
    (event) => {
      job.update((current) => applyJobEvent(current, event));
      if (event.type === "status" || (event.type === "progress" && job.data?.type === "batch")) refresh();
    },
    generation,
  );
  const onChanged = (changed: Job) => {
    job.update(() => changed);
    refresh();
    // A retried job's stream was closed after its final status: watch it again.
    setGeneration((g) => g + 1);
  };
  return { job, attempts, logs, version, watch, onChanged };
}

export function JobDetailPage({ params }: PageProps) {
  const id = params.id!;
  const { can } = useSession();
  const { job, attempts, logs, version, watch, onChanged } = useLiveJob(id);
  const current = job.data;
  return html`
    <section class="page">
      <p class="breadcrumb"><a href=${href("/jobs")}>Jobs</a> /</p>
      <h1>Job <span class="mono">${id}</span></h1>
      <${ErrorMessage} error=${job.error} />
      ${job.loading && !current ? html`<${Loading} what="the job" />` : null}
      ${current
        ? html`<div class="detail">
            <${Summary} job=${current} />
            ${can("jobs:write") ? html`<${JobActions} job=${current} onChanged=${onChanged} />` : null}
            <${LiveProgress} job=${current} stream=${watch.state} />
            ${current.error
              ? html`<${Section} id="error-heading" title="Error">
                  <p class="message message-error">${current.error.name}: ${current.error.message}${current.error.retryable ? " (retryable)" : ""}</p>
                </${Section}>`
              : null}
            <${Section} id="input-heading" title="Input"><${JsonBlock} value=${current.input} label="Input" /></${Section}>
            <${Section} id="result-heading" title="Result"><${JsonBlock} value=${current.result} label="Result" /></${Section}>
            <${Section} id="attempts-heading" title="Attempts">
              <${ErrorMessage} error=${attempts.error} />
              ${attempts.data ? html`<${AttemptTimeline} attempts=${attempts.data.items} />` : null}
            </${Section}>
            <${Section} id="logs-heading" title="Logs">
              <${ErrorMessage} error=${logs.error} />
              ${logs.data ? html`<${LogList} logs=${logs.data.items} />` : null}
            </${Section}>
            ${current.type === "batch"
              ? html`<${Section} id="items-heading" title="Items"><${BatchItems} jobId=${id} version=${version} /></${Section}>`
              : null}
            <${Section} id="events-heading" title="Events"><${EventList} events=${watch.events} /></${Section}>
          </div>`
        : null}
    </section>
  `;
}
