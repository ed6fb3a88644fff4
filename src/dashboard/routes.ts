// The page registry: every page of the dashboard, its path below /dashboard, its title, and its
// place in the navigation (in this order). A new page is one file in pages/ and one line here.
import type { FunctionComponent } from "preact";
import { DeadLettersPage } from "./pages/dead-letters";
import { DocumentsPage } from "./pages/documents";
import { JobDetailPage } from "./pages/job-detail";
import { JobsPage } from "./pages/jobs";
import { KeysPage } from "./pages/keys";
import { OverviewPage } from "./pages/overview";
import { QueuesPage } from "./pages/queues";
import { ReportDetailPage } from "./pages/report-detail";
import { ReportsPage } from "./pages/reports";
import { ScheduleDetailPage } from "./pages/schedule-detail";
import { SchedulesPage } from "./pages/schedules";
import { SettingsPage } from "./pages/settings";
import { TemplateEditorPage } from "./pages/template-editor";
import { TemplatesPage } from "./pages/templates";
import { matchPath } from "./router";

export interface PageProps {
  /** The pattern's params, e.g. {id} for "/jobs/:id". */
  params: Record<string, string>;
  /** The URL's query: filters, cursors, windows. */
  query: URLSearchParams;
}

export interface Route {
  /** Below /dashboard; ":name" matches one path segment. */
  path: string;
  title: string;
  /** Its label in the navigation; pages without one (a job's detail) are reached by links. */
  nav?: string;
  page: FunctionComponent<PageProps>;
}

export const ROUTES: readonly Route[] = [
  { path: "/", title: "Overview", nav: "Overview", page: OverviewPage },
  { path: "/jobs", title: "Jobs", nav: "Jobs", page: JobsPage },
  { path: "/jobs/:id", title: "Job", page: JobDetailPage },
  { path: "/dead-letters", title: "Dead letters", nav: "Dead letters", page: DeadLettersPage },
  { path: "/queues", title: "Queues", nav: "Queues", page: QueuesPage },
  { path: "/schedules", title: "Schedules", nav: "Schedules", page: SchedulesPage },
  { path: "/schedules/:id", title: "Schedule", page: ScheduleDetailPage },
  { path: "/reports", title: "Reports", nav: "Reports", page: ReportsPage },
  { path: "/reports/:id", title: "Report", page: ReportDetailPage },
  { path: "/templates", title: "Templates", nav: "Templates", page: TemplatesPage },
  { path: "/templates/:id", title: "Template", page: TemplateEditorPage },
  { path: "/documents", title: "Documents", nav: "Documents", page: DocumentsPage },
  { path: "/keys", title: "Keys", nav: "Keys", page: KeysPage },
  { path: "/settings", title: "Settings", nav: "Settings", page: SettingsPage },
];

export const NAVIGATION = ROUTES.filter((route): route is Route & { nav: string } => route.nav !== undefined);

export function findRoute(path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return undefined;
}
