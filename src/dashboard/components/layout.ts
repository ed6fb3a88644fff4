import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html";
import { type LinkState, watchFeedState } from "../live";
import { href } from "../router";
import { NAVIGATION } from "../routes";
import { useSession } from "../session";
import { TenantSwitcher } from "./tenant-switcher";

function isCurrent(navPath: string, path: string): boolean {
  return navPath === "/" ? path === "/" : path === navPath || path.startsWith(`${navPath}/`);
}

function Navigation({ path }: { path: string }) {
  return html`
    <nav class="nav" aria-label="Main">
      <ul>
        ${NAVIGATION.map(
          (item) => html`
            <li key=${item.path}>
              <a href=${href(item.path)} aria-current=${isCurrent(item.path, path) ? "page" : undefined}>${item.nav}</a>
            </li>
          `,
        )}
      </ul>
    </nav>
  `;
}

const LINK_TEXT: Record<LinkState, string> = { idle: "", open: "Live", connecting: "Connecting…", closed: "Offline" };

/** Whether pushed updates arrive: pages that listen to the feed keep it open. */
function LiveIndicator() {
  const [state, setState] = useState<LinkState>("idle");
  useEffect(() => watchFeedState(setState), []);
  // The status element stays while the text changes, so that the change is announced.
  return html`<span class=${`live live-${state}`} role="status" title="Live updates from the tenant's event feed">${LINK_TEXT[state]}</span>`;
}

function Header() {
  const { session, signOut } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const onSignOut = () => {
    setBusy(true);
    setError(undefined);
    signOut().catch((e: Error) => {
      setError(`Signing out failed: ${e.message}`);
      setBusy(false);
    });
  };
  return html`
    <header class="topbar">
      <a class="brand" href=${href("/")}>Edge Jobs</a>
      <div class="topbar-tenant">
        ${session.admin
          ? html`<${TenantSwitcher} />`
          : html`<span>Tenant <strong class="tenant-name">${session.tenant}</strong></span>`}
      </div>
      <${LiveIndicator} />
      <button type="button" class="button-quiet" onClick=${onSignOut} disabled=${busy}>Sign out</button>
      ${error ? html`<p class="inline-error" role="alert">${error}</p>` : null}
    </header>
  `;
}

interface LayoutProps {
  path: string;
  title: string;
  children: ComponentChildren;
}

/** The frame of every signed-in page; focus moves to the page's main area after a navigation. */
export function Layout({ path, title, children }: LayoutProps) {
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${title} · Edge Jobs`;
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [path, title]);
  return html`
    <div class="shell">
      <a class="skip-link" href="#main">Skip to content</a>
      <${Header} />
      <${Navigation} path=${path} />
      <main id="main" ref=${main} tabindex="-1">${children}</main>
    </div>
  `;
}
