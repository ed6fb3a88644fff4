/** Report bytes are content-addressed per tenant: identical versions share one R2 object. */
export function blobKey(tenant: string, sha256: string): string {
  return `reports/${tenant}/${sha256}`;
}


/**
 * Deletes the tenant's objects among `hashes` that no version references any more. Stores write
 * their version row before the object, so a store racing with this either is seen referencing
 * the object (kept) or puts it again after this deleted it.
 */
export async function deleteUnreferencedBlobs(env: Env, tenant: string, hashes: string[]): Promise<number> {
  const unique = [...new Set(hashes)];
  if (unique.length === 0) return 0;
  const { results } = await env.DB.prepare(
    `SELECT DISTINCT sha256 FROM report_versions WHERE tenant = ? AND sha256 IN (SELECT value FROM json_each(?))`,
  )
    .bind(tenant, JSON.stringify(unique))
    .all<{ sha256: string }>();
  const referenced = new Set(results.map((r) => r.sha256));
  const doomed = unique.filter((h) => !referenced.has(h)).map((h) => blobKey(tenant, h));
  for (let i = 0; i < doomed.length; i += 1000) await env.BUCKET.delete(doomed.slice(i, i + 1000));
  return doomed.length;
}
