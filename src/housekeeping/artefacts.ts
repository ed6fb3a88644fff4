import type { RawSql } from "../db/raw";
import { uploadKey } from "../uploads/store";

/**
 * Files a job wrote for itself, removed with it. They are stored as uploads: an export's output
 * (named after its job, see src/jobs/export.ts) and a bulk import's error report (named in its
 * result). A file the tenant has since made a document of is the document's now, and stays.
 * Report versions and the tenant's own uploads are never a job's; they have their own retention.
 */
export function deleteProducedUploads(sql: RawSql, tenant: string, cutoff: number, doomed: string) {
  return sql`
    DELETE FROM uploads WHERE tenant = ${tenant} AND id IN (
      SELECT CASE type WHEN 'export' THEN 'upl_' || substr(id, 5) WHEN 'bulk.import' THEN result->'errorReport'->>'uploadId' END
      FROM jobs WHERE id IN (SELECT value FROM json_each(${doomed}))
        AND +tenant = ${tenant} AND +finished_at < ${cutoff} AND status IN ('completed', 'failed', 'cancelled'))
      AND NOT EXISTS (SELECT 1 FROM documents WHERE documents.tenant = ${tenant} AND documents.upload_id = uploads.id)
    RETURNING id`;
}

/** An export writes segments under this prefix; one that failed or was cancelled leaves them behind. */
const exportSegments = (tenant: string, jobId: string) => `exports/${tenant}/${jobId}/`;

/** Deletes the R2 objects of deleted uploads and jobs; returns how many there were. */
export async function deleteArtefacts(env: Env, tenant: string, uploadIds: string[], jobs: { id: string; type: string }[]): Promise<number> {
  const keys = uploadIds.map((id) => uploadKey(tenant, id));
  for (const job of jobs.filter((j) => j.type === "export")) {
    let cursor: string | undefined;
    do {
      const listed = await env.BUCKET.list({ prefix: exportSegments(tenant, job.id), cursor });
      keys.push(...listed.objects.map((o) => o.key));
      cursor = listed.truncated ? listed.cursor : undefined;
    } while (cursor);
  }
  for (let i = 0; i < keys.length; i += 1000) await env.BUCKET.delete(keys.slice(i, i + 1000));
  return keys.length;
}
