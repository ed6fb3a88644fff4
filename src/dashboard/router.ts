// History-API routing under /dashboard. Links are real <a href>s: a click on one is turned into
// pushState here (a modified click, a new tab, still does what the browser does), and back and
// forward re-render from popstate. State worth keeping (filters, pages, windows) lives in the query.
import { useEffect, useState } from "preact/hooks";

export const BASE = "/dashboard";

export interface Location {
  /** The path below /dashboard, always starting with "/": "/" is the overview. */
  path: string;
  query: URLSearchParams;
}

const listeners = new Set<() => void>();

function read(): Location {
  const below = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "/";
  return { path: below === "" ? "/" : below.replace(/\/+$/, "") || "/", query: new URLSearchParams(location.search) };
}

/** The href of a dashboard page, with the query's empty values left out. */
export function href(path: string, query?: Record<string, string | undefined> | URLSearchParams): string {
  const params = new URLSearchParams();
  const entries = query instanceof URLSearchParams ? [...query.entries()] : Object.entries(query ?? {});
  for (const [name, value] of entries) if (value !== undefined && value !== "") params.set(name, value);
  const search = params.toString();
  return `${BASE}${path === "/" ? "" : path}${search ? `?${search}` : ""}`;
}

export function navigate(to: string, { replace = false } = {}): void {
  const target = new URL(to, location.href);
  if (target.pathname + target.search === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", target);
  else history.pushState(null, "", target);
  for (const listener of listeners) listener();
}

/** Merges `patch` into the current query (undefined or "" removes a name) and goes there. */
export function setQuery(patch: Record<string, string | undefined>, options?: { replace?: boolean }): void {
  const query = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(patch)) {
    if (value === undefined || value === "") query.delete(name);
    else query.set(name, value);
  }
  navigate(href(read().path, query), options);
}

export function useLocation(): Location {
  const [current, setCurrent] = useState(read);
  useEffect(() => {
    const update = () => setCurrent(read());
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return current;
}

function isPlainClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.defaultPrevented && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

/** Turns clicks on same-origin links into /dashboard pages into client-side navigations. */
export function interceptLinks(root: Document = document): void {
  root.addEventListener("click", (event) => {
    if (!isPlainClick(event)) return;
    const anchor = (event.target as Element | null)?.closest?.("a");
    if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
    const raw = anchor.getAttribute("href");
    if (!raw || raw.startsWith("#")) return;
    const url = new URL(anchor.href);
    if (url.origin !== location.origin || !(url.pathname === BASE || url.pathname.startsWith(`${BASE}/`))) return;
    if (url.pathname.startsWith(`${BASE}/assets/`)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** A route pattern's params: "/jobs/:id" against "/jobs/job_1" gives {id: "job_1"}. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = have[i]!;
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(actual);
    else if (part !== actual) return undefined;
  }
  return params;
}
