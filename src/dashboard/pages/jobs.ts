import { useEffect, useState } from "preact/hooks";
import { jobs } from "../api";
import { BulkActions } from "../components/bulk-actions";
import { ErrorMessage, Loading, Notice } from "../components/common";
import { type Filters, JobFilters, filtersOf } from "../components/job-filters";
import { JobTable } from "../components/job-table";
import { Pager } from "../components/pager";
import { type Resource, useFeed, useResource, useThrottle } from "../hooks";
import { html } from "../html";
import type { PageProps } from "../routes";
import { useSession } from "../session";
import type { BulkFilter, FeedEvent, Job, Page } from "../types";
import { FINAL_STATUSES } from "../types";

const PAGE_SIZE = 50;
/** Live events refetch the list at most this often. */
const REFETCH_MS = 2_000;

type FeedJob = Extract<FeedEvent, { type: "job" }>["job"];

/** Whether a job the feed announces could belong on this list (the filters it can check). */
function mayMatch(job: FeedJob, filters: Filters): boolean {
  return (!filters.status || filters.status === job.status) &&
    (!filters.type || filters.type === job.type) &&
    (!filters.priority || filters.priority === job.priority);
}

function patchJob(list: Resource<Page<Job>>, id: string, change: (job: Job) => Job) {
  list.update((page) => ({ ...page, items: page.items.map((job) => (job.id === id ? change(job) : job)) }));
}

function onStatus(job: Job, event: Extract<FeedEvent, { type: "job" }>): Job {
  const final = FINAL_STATUSES.includes(event.job.status);
  return {
    ...job,
    status: event.job.status,
    attempts: event.job.attempt ?? job.attempts,
    priority: event.job.priority ?? job.priority,
    startedAt: job.startedAt ?? (event.job.status === "running" ? event.at : null),
    finishedAt: final ? (job.finishedAt ?? event.at) : null,
  };
}

/** Keeps the shown page current from the tenant feed: rows change in place, new jobs refetch the first page. */
function useLiveJobs(list: Resource<Page<Job>>, filters: Filters, firstPage: boolean) {
  const refetch = useThrottle(list.reload, REFETCH_MS);
  useFeed((event) => {
    if (event.type === "reset") return refetch();
    if (event.type === "ready") return;
    const shown = list.data?.items.some((job) => job.id === event.job.id) ?? false;
    if (event.type === "progress") {
      if (shown) {
        const { percent, stage, message } = event.job;
        patchJob(list, event.job.id, (job) => ({ ...job, progress: { percent, stage, message } }));
      }
      return;
    }
    if (shown) {
      patchJob(list, event.job.id, (job) => onStatus(job, event));
      // A row that left the filter goes; a finished one gets its last progress and its run time.
      if ((filters.status && filters.status !== event.job.status) || FINAL_STATUSES.includes(event.job.status)) refetch();
    } else if (firstPage && mayMatch(event.job, filters)) {
      refetch();
    }
  });
}

function bulkFilterOf(filters: Filters): BulkFilter {
  const { q: _search, ...rest } = filters;
  return rest as BulkFilter;
}

export function JobsPage({ query }: PageProps) {
  const { can } = useSession();
  const filters = filtersOf(query);
  const cursor = query.get("cursor") ?? undefined;
  const list = useResource(() => jobs.list({ ...filters, cursor, limit: PAGE_SIZE }), [query.toString()]);
  useLiveJobs(list, filters, cursor === undefined);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // Selection is kept across pages of one list, not across filters: hidden rows would be acted on.
  const filterKey = JSON.stringify(filters);
  useEffect(() => setSelected(new Set()), [filterKey]);
  const items = list.data?.items ?? [];
  const writable = can("jobs:write");

  const selection = {
    selected,
    toggle: (id: string, on: boolean) =>
      setSelected((s) => {
        const next = new Set(s);
        if (on) next.add(id);
        else next.delete(id);
        return next;
      }),
    toggleAll: (on: boolean) =>
      setSelected((s) => {
        const next = new Set(s);
        for (const job of items) on ? next.add(job.id) : next.delete(job.id);
        return next;
      }),
  };
  const onBulkDone = () => {
    setSelected(new Set());
    list.reload();
  };
  return html`
    <section class="page">
      <h1>Jobs</h1>
      <${JobFilters} filters=${filters} />
      ${writable
        ? html`<${BulkActions} selectedIds=${[...selected]} filter=${bulkFilterOf(filters)} searching=${Boolean(filters.q)} onDone=${onBulkDone} />`
        : html`<${Notice}>This key can read jobs but not change them (it lacks the jobs:write scope).</${Notice}>`}
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data ? html`<${Loading} what="jobs" />` : null}
      ${list.data && items.length === 0 ? html`<p class="muted">No job matches these filters.</p>` : null}
      ${items.length > 0 ? html`<${JobTable} items=${items} selection=${writable ? selection : undefined} />` : null}
      <${Pager} path="/jobs" query=${query} nextCursor=${list.data?.nextCursor} label="Job pages" />
    </section>
  `;
}
