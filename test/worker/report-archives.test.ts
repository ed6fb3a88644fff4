import { env, exports } from "cloudflare:workers";
import { strToU8, unzipSync, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { api, json, newTenant } from "./helpers";

const reportsTenant = () => newTenant(["reports:read", "reports:write"]);

async function store(key: string, body: Record<string, unknown>) {
  const res = await api("/reports", { key, body: { format: "text", ...body } });
  expect([200, 201]).toContain(res.status);
  return (await res.json()) as any;
}

async function exportOf(key: string, id: string): Promise<Uint8Array> {
  const res = await api(`/reports/${id}/export`, { key });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/zip");
  return new Uint8Array(await res.arrayBuffer());
}

/** Posts the archive's bytes as they are (the JSON helper would stringify them). */
function importArchive(key: string, archive: Uint8Array, query = "") {
  return exports.default.fetch(`https://jobs.test/api/v1/reports/import${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/zip" },
    body: archive,
  });
}

async function objectsOf(tenant: string) {
  return (await env.BUCKET.list({ prefix: `reports/${tenant}/` })).objects.map((o) => o.key);
}

async function reportWithHistory(key: string) {
  const pdf = btoa(String.fromCharCode(...new Uint8Array([37, 80, 68, 70, 45, 49, 0, 200, 255, 10])));
  const first = await store(key, { name: "history", content: "first\n" });
  await store(key, { name: "history", content: "second\nline\n", format: "markdown" });
  await store(key, { name: "history", content: pdf, encoding: "base64", format: "pdf" });
  await store(key, { name: "history", content: "first\n", onDuplicate: "store" });
  return first.report.id as string;
}

describe("report export and import", () => {
  it("round-trips a report: new ids, the same versions and bytes, and an export identical byte for byte", async () => {
    const a = await reportsTenant();
    const b = await reportsTenant();
    const id = await reportWithHistory(a.key);
    const archive = await exportOf(a.key, id);

    const files = unzipSync(archive);
    expect(Object.keys(files)).toEqual(["manifest.json", "versions/1.txt", "versions/2.md", "versions/3.pdf", "versions/4.txt"]);
    const manifest = JSON.parse(new TextDecoder().decode(files["manifest.json"]));
    expect(manifest).toMatchObject({ kind: "edge-jobs.report-archive", formatVersion: 1, report: { name: "history" } });
    expect(manifest.versions).toHaveLength(4);

    const restored = await json(await importArchive(b.key, archive), 201);
    expect(restored.report).toMatchObject({ name: "history", latestVersion: 4 });
    expect(restored.report.id).not.toBe(id);
    const original = await json(await api(`/reports/${id}/versions`, { key: a.key }), 200);
    const copy = await json(await api(`/reports/${restored.report.id}/versions`, { key: b.key }), 200);
    const strip = (v: any) => ({ version: v.version, format: v.format, size: v.size, sha256: v.sha256, createdAt: v.createdAt, contextHash: v.contextHash });
    expect(copy.items.map(strip)).toEqual(original.items.map(strip));
    for (const v of original.items) {
      const mine = new Uint8Array(await (await api(`/reports/${id}/versions/${v.version}`, { key: a.key })).arrayBuffer());
      const theirs = new Uint8Array(await (await api(`/reports/${restored.report.id}/versions/${v.version}`, { key: b.key })).arrayBuffer());
      expect(theirs).toEqual(mine);
    }
    expect(await exportOf(b.key, restored.report.id)).toEqual(archive);
    // Equal versions still share one object after the import.
    expect(await objectsOf(b.tenant)).toHaveLength(3);
  });

  it("refuses a name the tenant already uses unless given another one", async () => {
    const { key } = await reportsTenant();
    const id = await reportWithHistory(key);
    const archive = await exportOf(key, id);
    const taken = await json(await importArchive(key, archive), 409);
    expect(taken.error.code).toBe("name_taken");
    const renamed = await json(await importArchive(key, archive, "?name=history-copy"), 201);
    expect(renamed.report).toMatchObject({ name: "history-copy", latestVersion: 4 });
  });

  it("refuses corrupted and truncated archives with 422 and writes nothing", async () => {
    const a = await reportsTenant();
    const archive = await exportOf(a.key, await reportWithHistory(a.key));
    const target = await reportsTenant();

    const flipped = archive.slice();
    const at = indexOf(flipped, strToU8("versions/3.pdf")) + 40; // inside the stored (uncompressed) PDF bytes
    flipped[at] = flipped[at]! ^ 0xff;
    const cases: [string, Uint8Array][] = [
      ["a flipped byte", flipped],
      ["cut in half", archive.slice(0, Math.floor(archive.length / 2))],
      ["cut before the central directory", archive.slice(0, indexOf(archive, new Uint8Array([0x50, 0x4b, 0x01, 0x02])))],
      ["only a few bytes", archive.slice(0, 30)],
      ["not a zip at all", strToU8("hello, this is not an archive")],
      ["no manifest", zipSync({ "versions/1.txt": strToU8("x") })],
      ["a manifest that lies about a hash", withManifest(archive, (m) => (m.versions[0].sha256 = "0".repeat(64)))],
      ["a manifest that lists a missing version", withManifest(archive, (m) => m.versions.push({ ...m.versions[0], version: 9, file: "versions/9.txt" }))],
      ["a manifest of another kind", withManifest(archive, (m) => (m.kind = "something-else"))],
    ];
    for (const [what, bytes] of cases) {
      const res = await importArchive(target.key, bytes);
      const body = (await res.json()) as any;
      expect(res.status, `${what}: ${JSON.stringify(body)}`).toBe(422);
      expect(body.error.code, what).toBe("invalid_archive");
    }
    expect((await json(await api("/reports", { key: target.key }), 200)).items).toEqual([]);
    expect(await objectsOf(target.tenant)).toEqual([]);
    // The intact archive still imports.
    await json(await importArchive(target.key, archive), 201);
  });

  it("keeps exports to their tenant and answers an empty import with 4xx", async () => {
    const a = await reportsTenant();
    const b = await reportsTenant();
    const id = await reportWithHistory(a.key);
    expect((await api(`/reports/${id}/export`, { key: b.key })).status).toBe(404);
    const empty = await api("/reports/import", { key: b.key, method: "POST" });
    expect([400, 422]).toContain(empty.status);
    const readOnly = await newTenant(["reports:read"]);
    expect((await importArchive(readOnly.key, await exportOf(a.key, id))).status).toBe(403);
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error("not found");
}

/** The archive rebuilt with its manifest changed by `edit` (entries otherwise as they were). */
function withManifest(archive: Uint8Array, edit: (manifest: any) => void): Uint8Array {
  const files = unzipSync(archive);
  const manifest = JSON.parse(new TextDecoder().decode(files["manifest.json"]));
  edit(manifest);
  return zipSync({ ...files, "manifest.json": strToU8(JSON.stringify(manifest)) });
}
