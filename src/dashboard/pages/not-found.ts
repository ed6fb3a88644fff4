import { html } from "../html";
import { href } from "../router";

export function NotFoundPage() {
  return html`
    <section class="page">
      <h1>Page not found</h1>
      <p>The dashboard has no page at ${location.pathname}. <a href=${href("/")}>Go to the overview</a>.</p>
    </section>
  `;
}
