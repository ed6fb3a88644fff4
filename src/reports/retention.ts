import { and, eq, getTableColumns, gt, isNotNull, sql } from "drizzle-orm";
import { database } from "../db/client";
import { reportVersions, reports, tenantSettings } from "../db/schema";
import { pruneVersions } from "./queries";

/** Reports pruned per Cron Trigger run, so a large backlog is worked off over several runs. */
export const REPORTS_PRUNED_PER_RUN = 50;

/**
 * Applies each tenant's report retention (`reportKeepVersions`): reports with more versions than
 * their tenant keeps lose the oldest ones, and the objects nothing else uses.
 */
export async function applyReportRetention(env: Env): Promise<{ reports: number; versions: number; objects: number }> {
  const versionCount = sql<number>`(SELECT count(*) FROM ${reportVersions} WHERE ${reportVersions.reportId} = ${reports.id})`;
  const results = await database(env)
    .select({ ...getTableColumns(reports), keep: tenantSettings.reportKeepVersions })
    .from(tenantSettings)
    .innerJoin(reports, eq(reports.tenant, tenantSettings.tenant))
    .where(and(isNotNull(tenantSettings.reportKeepVersions), gt(versionCount, tenantSettings.reportKeepVersions)))
    .limit(REPORTS_PRUNED_PER_RUN);
  const total = { reports: results.length, versions: 0, objects: 0 };
  for (const report of results) {
    const pruned = await pruneVersions(env, report, report.keep!);
    total.versions += pruned.versions;
    total.objects += pruned.objects;
  }
  return total;
}
