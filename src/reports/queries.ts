import { REPORT_COLUMNS, type ReportRow, VERSION_COLUMNS, type VersionRow } from "./store";
import { deleteUnreferencedBlobs } from "./blobs";

export async function findReport(env: Env, tenant: string, id: string): Promise<ReportRow | null> {
  return env.DB.prepare(`SELECT ${REPORT_COLUMNS} FROM reports r WHERE r.id = ? AND r.tenant = ?`).bind(id, tenant).first<ReportRow>();
}

export async function findVersion(env: Env, reportId: string, version: number): Promise<VersionRow | null> {
  return env.DB.prepare(`SELECT ${VERSION_COLUMNS} FROM report_versions WHERE report_id = ? AND version = ?`)
    .bind(reportId, version)
    .first<VersionRow>();
}

/** Deletes a report with all its versions, and the R2 objects no other version of the tenant uses. */
export async function deleteReport(env: Env, report: ReportRow): Promise<{ versions: number; objects: number }> {
  const [versions] = await env.DB.batch([
    env.DB.prepare("DELETE FROM report_versions WHERE report_id = ? RETURNING sha256").bind(report.id),
    env.DB.prepare("DELETE FROM reports WHERE id = ?").bind(report.id),
  ]);
  const hashes = (versions?.results ?? []).map((r) => (r as { sha256: string }).sha256);
  return { versions: hashes.length, objects: await deleteUnreferencedBlobs(env, report.tenant, hashes) };
}

/** Keeps the newest `keep` versions of a report and deletes the rest, with the objects nothing else uses. */
export async function pruneVersions(env: Env, report: ReportRow, keep: number): Promise<{ versions: number; objects: number }> {
  const { results } = await env.DB.prepare(
    `DELETE FROM report_versions WHERE report_id = ?1
       AND version NOT IN (SELECT version FROM report_versions WHERE report_id = ?1 ORDER BY version DESC LIMIT ?2)
     RETURNING sha256`,
  )
    .bind(report.id, keep)
    .all<{ sha256: string }>();
  const hashes = results.map((r) => r.sha256);
  return { versions: hashes.length, objects: await deleteUnreferencedBlobs(env, report.tenant, hashes) };
}
