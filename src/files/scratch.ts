/**
 * Objects a durable job keeps between its steps (an export's segments, a profile's state, a
 * transform's unfinished part), under one prefix per job: removed by the job when it finishes,
 * and by housekeeping with the job (src/housekeeping/artefacts.ts) when it never did.
 */
export const scratchPrefix = (tenant: string, jobId: string) => `exports/${tenant}/${jobId}/`;

export const scratchKey = (tenant: string, jobId: string, name: string) => `${scratchPrefix(tenant, jobId)}${name}`;

/** The job types that write scratch objects. */
export const SCRATCH_JOB_TYPES: ReadonlySet<string> = new Set(["export", "file.analyze", "file.transform"]);

/** Deletes every scratch object of a job. */
export async function deleteScratch(env: Env, tenant: string, jobId: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const listed = await env.BUCKET.list({ prefix: scratchPrefix(tenant, jobId), cursor });
    if (listed.objects.length > 0) await env.BUCKET.delete(listed.objects.map((o) => o.key));
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
}
