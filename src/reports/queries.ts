import { and, desc, eq, notInArray } from "drizzle-orm";
import { database } from "../db/client";
import { reportVersions, reports } from "../db/schema";
import type { ReportRow, VersionRow } from "./store";
import { deleteUnreferencedBlobs } from "./blobs";

/** What deleting or pruning needs of a report. */
type ReportRef = Pick<ReportRow, "id" | "tenant">;

export async function findReport(env: Env, tenant: string, id: string): Promise<ReportRow | null> {
  const row = await database(env)
    .select()
    .from(reports)
    .where(and(eq(reports.id, id), eq(reports.tenant, tenant)))
    .get();
  return row ?? null;
}

export async function findVersion(env: Env, reportId: string, version: number): Promise<VersionRow | null> {
  const row = await database(env)
    .select()
    .from(reportVersions)
    .where(and(eq(reportVersions.reportId, reportId), eq(reportVersions.version, version)))
    .get();
  return row ?? null;
}

/** Deletes a report with all its versions, and the R2 objects no other version of the tenant uses. */
export async function deleteReport(env: Env, report: ReportRef): Promise<{ versions: number; objects: number }> {
  const db = database(env);
  const [versions] = await db.batch([
    db.delete(reportVersions).where(eq(reportVersions.reportId, report.id)).returning({ sha256: reportVersions.sha256 }),
    db.delete(reports).where(eq(reports.id, report.id)),
  ]);
  const hashes = versions.map((r) => r.sha256);
  return { versions: hashes.length, objects: await deleteUnreferencedBlobs(env, report.tenant, hashes) };
}

/** Keeps the newest `keep` versions of a report and deletes the rest, with the objects nothing else uses. */
export async function pruneVersions(env: Env, report: ReportRef, keep: number): Promise<{ versions: number; objects: number }> {
  const db = database(env);
  const newest = db
    .select({ version: reportVersions.version })
    .from(reportVersions)
    .where(eq(reportVersions.reportId, report.id))
    .orderBy(desc(reportVersions.version))
    .limit(keep);
  const deleted = await db
    .delete(reportVersions)
    .where(and(eq(reportVersions.reportId, report.id), notInArray(reportVersions.version, newest)))
    .returning({ sha256: reportVersions.sha256 });
  const hashes = deleted.map((r) => r.sha256);
  return { versions: hashes.length, objects: await deleteUnreferencedBlobs(env, report.tenant, hashes) };
}
