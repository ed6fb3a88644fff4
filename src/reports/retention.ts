import { pruneVersions } from "./queries";
import type { ReportRow } from "./store";

/** Reports pruned per Cron Trigger run, so a large backlog is worked off over several runs. */
export const REPORTS_PRUNED_PER_RUN = 50;

/**
 * Applies each tenant's report retention (`reportKeepVersions`): reports with more versions than
 * their tenant keeps lose the oldest ones, and the objects nothing else uses.
 */
export async function applyReportRetention(env: Env): Promise<{ reports: number; versions: number; objects: number }> {
  const { results } = await env.DB.prepare(
    `SELECT r.id, r.tenant, r.name, r.latest_version AS latestVersion, r.created_at AS createdAt, r.updated_at AS updatedAt,
            s.report_keep_versions AS keep
     FROM tenant_settings s JOIN reports r ON r.tenant = s.tenant
     WHERE s.report_keep_versions IS NOT NULL
       AND (SELECT count(*) FROM report_versions v WHERE v.report_id = r.id) > s.report_keep_versions
     LIMIT ?`,
  )
    .bind(REPORTS_PRUNED_PER_RUN)
    .all<ReportRow & { keep: number }>();
  const total = { reports: results.length, versions: 0, objects: 0 };
  for (const report of results) {
    const pruned = await pruneVersions(env, report, report.keep);
    total.versions += pruned.versions;
    total.objects += pruned.objects;
  }
  return total;
}
