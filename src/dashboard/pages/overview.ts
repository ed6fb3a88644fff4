import { queues, stats } from "../api";
import { ErrorMessage, Loading } from "../components/common";
import { DurationTable, LaneDepth, StatusCounts, WindowTable } from "../components/stats-panels";
import { ThroughputChart } from "../components/throughput-chart";
import { useFeed, useResource, useThrottle } from "../hooks";
import { html } from "../html";
import type { PageProps } from "../routes";
import { href } from "../router";
import type { HistoryWindow } from "../types";

/** Aggregates are refetched at most this often while events arrive. */
const REFETCH_MS = 2_000;
/** The history moves by whole buckets (a minute at least): it need not follow every event. */
const HISTORY_REFETCH_MS = 10_000;

const WINDOWS: { value: HistoryWindow; label: string }[] = [
  { value: "hour", label: "Last hour" },
  { value: "day", label: "Last day" },
  { value: "week", label: "Last week" },
];

function windowOf(query: URLSearchParams): HistoryWindow {
  const value = query.get("window");
  return value === "day" || value === "week" ? value : "hour";
}

function Section({ id, title, children }: { id: string; title: string; children: unknown }) {
  return html`<section class="panel" aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}

function History({ window }: { window: HistoryWindow }) {
  const history = useResource(() => stats.history(window), [window]);
  const refetch = useThrottle(history.reload, HISTORY_REFETCH_MS);
  useFeed((event) => {
    if (event.type === "reset" || (event.type === "job" && ["completed", "failed"].includes(event.job.status))) refetch();
  });
  const label = WINDOWS.find((w) => w.value === window)!.label;
  return html`
    <div>
      <nav class="segmented" aria-label="History window">
        ${WINDOWS.map(
          (w) => html`<a key=${w.value} href=${href("/", { window: w.value === "hour" ? undefined : w.value })} aria-current=${w.value === window ? "true" : undefined}>${w.label}</a>`,
        )}
      </nav>
      ${history.error
        ? (history.error as { status?: number }).status === 404
          ? html`<p class="muted">Throughput history is not available from this server yet.</p>`
          : html`<${ErrorMessage} error=${history.error} />`
        : null}
      ${history.loading && !history.data ? html`<${Loading} what="the history" />` : null}
      ${history.data ? html`<${ThroughputChart} history=${history.data} label=${`Throughput, ${label.toLowerCase()}`} />` : null}
    </div>
  `;
}

export function OverviewPage({ query }: PageProps) {
  const summary = useResource(() => stats.get(), []);
  const lanes = useResource(() => queues.list(), []);
  const refetch = useThrottle(() => {
    summary.reload();
    lanes.reload();
  }, REFETCH_MS);
  useFeed((event) => {
    if (event.type === "job" || event.type === "reset") refetch();
  });
  const data = summary.data;
  return html`
    <section class="page">
      <h1>Overview</h1>
      <${ErrorMessage} error=${summary.error} prefix="Stats" />
      ${summary.loading && !data ? html`<${Loading} what="stats" />` : null}
      ${data
        ? html`<div class="overview">
            <${Section} id="status-heading" title="Jobs by status"><${StatusCounts} stats=${data} /></${Section}>
            <${Section} id="throughput-heading" title="Throughput"><${WindowTable} stats=${data} /></${Section}>
            <${Section} id="duration-heading" title="Run time per type"><${DurationTable} stats=${data} /></${Section}>
            <${Section} id="lanes-heading" title="Queue depth">
              <${ErrorMessage} error=${lanes.error} prefix="Queues" />
              ${lanes.data ? html`<${LaneDepth} lanes=${lanes.data} />` : null}
            </${Section}>
          </div>`
        : null}
      <${Section} id="history-heading" title="Throughput history"><${History} window=${windowOf(query)} /></${Section}>
    </section>
  `;
}
