import { iso } from "../engine/job-view";
import { contentTypeOf } from "./formats";
import type { ReportRow, VersionRow } from "./store";

export function toReport(row: ReportRow) {
  return { id: row.id, name: row.name, latestVersion: row.latestVersion, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

export function toVersion(row: VersionRow) {
  return {
    version: row.version,
    format: row.format,
    contentType: contentTypeOf(row.format),
    size: row.size,
    sha256: row.sha256,
    templateId: row.templateId,
    contextHash: row.contextHash,
    jobId: row.jobId,
    createdAt: iso(row.createdAt),
    contentUrl: `/api/v1/reports/${row.reportId}/versions/${row.version}`,
  };
}
