import { allFields } from "../db/columns";
import { rawSql, rowsOf } from "../db/raw";
import { reportVersions, reports } from "../db/schema";
import { newId } from "../engine/ids";
import { sha256Hex } from "../crypto";
import { blobKey } from "./blobs";
import { type ReportFormat, contentTypeOf } from "./formats";

/** A report as the drizzle schema reads it. */
export type ReportRow = typeof reports.$inferSelect;
/** A stored version as the drizzle schema reads it. */
export type VersionRow = typeof reportVersions.$inferSelect;

/** The columns of `reports r` as a ReportRow, for raw statements. */
export const REPORT_COLUMNS = allFields(reports, "r");
/** The columns of `report_versions` as a VersionRow, for raw statements. */
export const VERSION_COLUMNS = allFields(reportVersions);

export interface NewVersion {
  tenant: string;
  /** An existing report, or a name: the report of that name, created if the tenant has none. */
  target: { reportId: string } | { name: string };
  format: ReportFormat;
  bytes: Uint8Array;
  templateId?: string | null;
  contextHash?: string | null;
  /** The job writing it: the same job storing again (a retry) gets its earlier version back. */
  jobId?: string | null;
  /** `skip`: content equal to the latest version is not stored again. */
  onDuplicate: "skip" | "store";
}

export interface StoredVersion {
  report: ReportRow;
  version: VersionRow;
  /** True when nothing was written because the content equals the latest version. */
  duplicate: boolean;
}

/**
 * Appends a version to a report in one D1 batch (so concurrent writers get consecutive numbers),
 * then puts the bytes in R2 under their content hash. The row goes first: a cleanup running at the
 * same time sees the object referenced. If the upload fails the row is removed again.
 * Returns null when `target` names a report the tenant does not have.
 */
export async function storeVersion(env: Env, input: NewVersion, now = Date.now()): Promise<StoredVersion | null> {
  const sql = rawSql(env.DB);
  const sha256 = await sha256Hex(input.bytes);
  const jobId = input.jobId ?? null;
  const byName = "name" in input.target;
  const targetValue = "name" in input.target ? input.target.name : input.target.reportId;
  const match = byName ? "r.tenant = ?1 AND r.name = ?2" : "r.tenant = ?1 AND r.id = ?2";

  const statements = [
    ...(byName
      ? [sql`INSERT INTO reports (id, tenant, name, latest_version, created_at, updated_at)
             VALUES (${newId("rpt", now)}, ${input.tenant}, ${targetValue}, 0, ${now}, ${now})
             ON CONFLICT (tenant, name) DO NOTHING`]
      : []),
    env.DB.prepare(
      `INSERT INTO report_versions (report_id, version, tenant, format, size, sha256, template_id, context_hash, job_id, created_at)
       SELECT r.id, r.latest_version + 1, r.tenant, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM reports r
       WHERE ${match}
         AND NOT (?10 = 'skip' AND EXISTS (SELECT 1 FROM report_versions v WHERE v.report_id = r.id
                  AND v.version = r.latest_version AND v.sha256 = ?5 AND v.format = ?3))
         AND NOT EXISTS (SELECT 1 FROM report_versions v WHERE v.report_id = r.id AND v.job_id = ?8)
       RETURNING version`,
    ).bind(input.tenant, targetValue, input.format, input.bytes.byteLength, sha256, input.templateId ?? null,
      input.contextHash ?? null, jobId, now, input.onDuplicate),
    env.DB.prepare(
      `UPDATE reports AS r SET latest_version = latest_version + 1, updated_at = ?3
       WHERE ${match} AND EXISTS (SELECT 1 FROM report_versions v WHERE v.report_id = r.id AND v.version = r.latest_version + 1)`,
    ).bind(input.tenant, targetValue, now),
    env.DB.prepare(`SELECT ${REPORT_COLUMNS.text} FROM reports r WHERE ${match}`).bind(input.tenant, targetValue),
    env.DB.prepare(
      `SELECT ${VERSION_COLUMNS.text} FROM report_versions
       WHERE report_id = (SELECT r.id FROM reports r WHERE ${match})
         AND (job_id = ?3 OR version = (SELECT r.latest_version FROM reports r WHERE ${match}))
       ORDER BY coalesce(job_id = ?3, 0) DESC LIMIT 1`,
    ).bind(input.tenant, targetValue, jobId),
  ];
  const results = await env.DB.batch(statements);
  const offset = byName ? 1 : 0;
  const inserted = rowsOf<{ version: number }>(results, offset).length > 0;
  const report = rowsOf<ReportRow>(results, offset + 2)[0];
  const version = rowsOf<VersionRow>(results, offset + 3)[0];
  if (!report || !version) return null;

  const duplicate = !inserted && !(jobId !== null && version.jobId === jobId);
  if (!duplicate) {
    try {
      await env.BUCKET.put(blobKey(input.tenant, sha256), input.bytes, {
        httpMetadata: { contentType: contentTypeOf(input.format) },
        customMetadata: { tenant: input.tenant, sha256 },
        sha256,
      });
    } catch (err) {
      if (inserted) await removeVersion(env, report.id, version.version);
      throw err;
    }
  }
  return { report, version, duplicate };
}

/** Takes back a version whose bytes could not be stored (only while it is still the latest). */
async function removeVersion(env: Env, reportId: string, version: number) {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM report_versions WHERE report_id = ? AND version = ?").bind(reportId, version),
    env.DB.prepare("UPDATE reports SET latest_version = latest_version - 1 WHERE id = ? AND latest_version = ?").bind(reportId, version),
  ]);
}
