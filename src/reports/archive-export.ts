import { eq } from "drizzle-orm";
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import { database } from "../db/client";
import { reportVersions } from "../db/schema";
import { iso } from "../engine/job-view";
import { ARCHIVE_KIND, MANIFEST, type Manifest, assertArchivable, entryName } from "./archive-manifest";
import { blobKey } from "./blobs";
import { isBinaryFormat } from "./formats";
import type { ReportRow, VersionRow } from "./store";

/** Writing a report archive (see archive.ts for its layout, and for reading one back). */

async function allVersions(env: Env, reportId: string): Promise<VersionRow[]> {
  return database(env).select().from(reportVersions).where(eq(reportVersions.reportId, reportId)).orderBy(reportVersions.version);
}

function manifestOf(report: ReportRow, versions: VersionRow[]): Manifest {
  return {
    kind: ARCHIVE_KIND,
    formatVersion: 1,
    report: { name: report.name },
    versions: versions.map((v) => ({
      version: v.version,
      format: v.format,
      size: v.size,
      sha256: v.sha256,
      templateId: v.templateId,
      contextHash: v.contextHash,
      createdAt: iso(v.createdAt),
      file: entryName(v),
    })),
  };
}

/** Streams a report's archive: one version's bytes in memory at a time. */
export async function exportArchive(env: Env, report: ReportRow): Promise<ReadableStream<Uint8Array>> {
  const versions = await allVersions(env, report.id);
  assertArchivable(versions);
  const manifest = manifestOf(report, versions);
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  // These reject once the client has gone away; `produce` learns it from `writer.ready` and stops.
  const quietly = (operation: Promise<void>) => operation.catch(() => undefined);
  const zip = new Zip((err, chunk, final) => {
    if (err) void quietly(writer.abort(err));
    else {
      void quietly(writer.write(chunk));
      if (final) void quietly(writer.close());
    }
  });
  const entry = (name: string, compress: boolean, mtime: number) => {
    const file = compress ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
    file.mtime = mtime;
    zip.add(file);
    return file;
  };

  let clientGone = false;
  const produce = async () => {
    // Stamped with the newest version's time, which an import keeps (the report's own times it does not).
    const stamp = versions.at(-1)?.createdAt ?? Date.UTC(1980, 0, 1);
    entry(MANIFEST, true, stamp).push(new TextEncoder().encode(JSON.stringify(manifest, null, 2)), true);
    for (const v of versions) {
      const object = await env.BUCKET.get(blobKey(report.tenant, v.sha256));
      if (!object) throw new Error(`the content of version ${v.version} is missing from storage`);
      const file = entry(entryName(v), !isBinaryFormat(v.format), v.createdAt);
      const reader = object.body.getReader();
      for (;;) {
        await writer.ready.catch((err: unknown) => {
          clientGone = true;
          void reader.cancel();
          throw err;
        });
        const { done, value } = await reader.read();
        if (done) break;
        file.push(value);
      }
      file.push(new Uint8Array(0), true);
    }
    zip.end();
  };
  produce().catch((err) => {
    if (clientGone) return;
    console.error("exporting a report failed midway", err);
    void quietly(writer.abort(err));
  });
  return readable;
}
