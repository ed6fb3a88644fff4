import { html } from "../html";
import { href } from "../router";

/** A link to a job's page, its id in monospace. */
export function JobLink({ id }: { id: string }) {
  return html`<a class="mono" href=${href(`/jobs/${encodeURIComponent(id)}`)}>${id}</a>`;
}
