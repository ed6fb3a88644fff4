import type { RawSql } from "../db/raw";
import { SCRATCH_JOB_TYPES, scratchPrefix } from "../files/scratch";
import { uploadKey } from "../uploads/store";

/**
 * Files a job wrote for itself, removed with it. They are stored as uploads: an export's or a
 * transform's output and a transform's error report (named after their job, see src/jobs/export.ts
 * and src/jobs/file-transform.ts) and a bulk import's error report (named in its result). A file
 * the tenant has since made a document of is the document's now, and stays. Report versions and
 * the tenant's own uploads are never a job's; they have their own retention.
 */
export function deleteProducedUploads(sql: RawSql, tenant: string, cutoff: number, doomed: string) {
  return sql`
    DELETE FROM uploads WHERE tenant = ${tenant} AND id IN (
      SELECT produced.value FROM jobs, json_each(CASE jobs.type
          WHEN 'export' THEN json_array('upl_' || substr(jobs.id, 5))
          WHEN 'bulk.import' THEN json_array(jobs.result->'errorReport'->>'uploadId')
          WHEN 'file.transform' THEN json_array('upl_' || substr(jobs.id, 5), 'upl_' || substr(jobs.id, 5) || '-errors')
          ELSE '[]' END) AS produced
      WHERE jobs.id IN (SELECT value FROM json_each(${doomed}))
        AND +jobs.tenant = ${tenant} AND +jobs.finished_at < ${cutoff} AND jobs.status IN ('completed', 'failed', 'cancelled'))
      AND NOT EXISTS (SELECT 1 FROM documents WHERE documents.tenant = ${tenant} AND documents.upload_id = uploads.id)
    RETURNING id`;
}

/** Deletes the R2 objects of deleted uploads and jobs; returns how many there were. */
export async function deleteArtefacts(env: Env, tenant: string, uploadIds: string[], jobs: { id: string; type: string }[]): Promise<number> {
  const keys = uploadIds.map((id) => uploadKey(tenant, id));
  // A durable job that failed or was cancelled leaves what it kept between steps behind.
  for (const job of jobs.filter((j) => SCRATCH_JOB_TYPES.has(j.type))) {
    let cursor: string | undefined;
    do {
      const listed = await env.BUCKET.list({ prefix: scratchPrefix(tenant, job.id), cursor });
      keys.push(...listed.objects.map((o) => o.key));
      cursor = listed.truncated ? listed.cursor : undefined;
    } while (cursor);
  }
  for (let i = 0; i < keys.length; i += 1000) await env.BUCKET.delete(keys.slice(i, i + 1000));
  return keys.length;
}
