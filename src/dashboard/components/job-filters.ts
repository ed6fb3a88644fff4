// The jobs list's filters. They live in the URL (a filtered list can be linked, and back undoes a
// change); typing in a text field applies after a pause.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { fromLocalInput, toLocalInput } from "../format";
import { useDebounced } from "../hooks";
import { html } from "../html";
import { href, setQuery } from "../router";
import { JOB_STATUSES, PRIORITIES } from "../types";

export const FILTER_NAMES = ["q", "status", "type", "priority", "tag", "createdAfter", "createdBefore"] as const;
export type Filters = Partial<Record<(typeof FILTER_NAMES)[number], string>>;

export function filtersOf(query: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const name of FILTER_NAMES) {
    const value = query.get(name);
    if (value) filters[name] = value;
  }
  return filters;
}

/** A change of filter starts again from the first page. */
const apply = (patch: Filters, replace = false) => setQuery({ ...patch, cursor: undefined }, { replace });

/** The API's longest values (ListJobsQuery): longer ones would be refused. */
const MAX_LENGTH = { q: 200, type: 100, tag: 64 } as const;

function TextFilter({ name, label, value, type = "text" }: { name: "q" | "type" | "tag"; label: string; value: string; type?: string }) {
  const id = useId();
  const [text, setText] = useState(value);
  const settled = useDebounced(text, 400);
  // One edit is one history entry: its first change is pushed, the next ones until blur replace it.
  const editing = useRef(false);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (settled === value) return;
    apply({ [name]: settled.trim() || undefined }, editing.current);
    editing.current = true;
  }, [settled]);
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      <input id=${id} type=${type} name=${name} maxlength=${MAX_LENGTH[name]} value=${text}
        onInput=${(e: Event) => setText((e.currentTarget as HTMLInputElement).value)} onBlur=${() => (editing.current = false)} />
    </div>
  `;
}

function SelectFilter({ name, label, value, options, any }: { name: "status" | "priority"; label: string; value: string; options: readonly string[]; any: string }) {
  const id = useId();
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      <select id=${id} name=${name} value=${value} onChange=${(e: Event) => apply({ [name]: (e.currentTarget as HTMLSelectElement).value || undefined })}>
        <option value="">${any}</option>
        ${options.map((option) => html`<option key=${option} value=${option}>${option}</option>`)}
      </select>
    </div>
  `;
}

function DateFilter({ name, label, value }: { name: "createdAfter" | "createdBefore"; label: string; value: string | undefined }) {
  const id = useId();
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      <input
        id=${id}
        type="datetime-local"
        name=${name}
        value=${toLocalInput(value)}
        onChange=${(e: Event) => apply({ [name]: fromLocalInput((e.currentTarget as HTMLInputElement).value) })}
      />
    </div>
  `;
}

export function JobFilters({ filters }: { filters: Filters }) {
  const active = Object.keys(filters).length > 0;
  return html`
    <form class="filters" role="search" aria-label="Filter jobs" onSubmit=${(e: Event) => e.preventDefault()}>
      <${TextFilter} name="q" label="Search" type="search" value=${filters.q ?? ""} />
      <${SelectFilter} name="status" label="Status" value=${filters.status ?? ""} options=${JOB_STATUSES} any="Any status" />
      <${TextFilter} name="type" label="Type" value=${filters.type ?? ""} />
      <${SelectFilter} name="priority" label="Priority" value=${filters.priority ?? ""} options=${PRIORITIES} any="Any priority" />
      <${TextFilter} name="tag" label="Tag" value=${filters.tag ?? ""} />
      <${DateFilter} name="createdAfter" label="Created after" value=${filters.createdAfter} />
      <${DateFilter} name="createdBefore" label="Created before" value=${filters.createdBefore} />
      ${active ? html`<a class="filters-clear" href=${href("/jobs")}>Clear filters</a>` : null}
    </form>
  `;
}
