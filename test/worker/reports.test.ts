import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { storeVersion } from "../../src/reports/store";
import { api, json, newTenant } from "./helpers";

const reportsTenant = () => newTenant(["reports:read", "reports:write", "jobs:read", "jobs:write"]);

async function sha256(bytes: Uint8Array | string) {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function store(key: string, body: Record<string, unknown>, status = 201) {
  return json(await api("/reports", { key, body: { format: "markdown", ...body } }), status);
}

async function objectsOf(tenant: string) {
  const listed = await env.BUCKET.list({ prefix: `reports/${tenant}/` });
  return listed.objects.map((o) => o.key.split("/").pop()!).sort();
}

describe("storing report versions", () => {
  it("stores a version, serves its bytes with their content type, and reports an equal one as a duplicate", async () => {
    const { key, tenant } = await reportsTenant();
    const first = await store(key, { name: "sales", content: "# Sales\n\nup\n" });
    expect(first).toMatchObject({ duplicate: false, report: { name: "sales", latestVersion: 1 }, version: { version: 1, format: "markdown", size: 12 } });
    expect(first.version.sha256).toBe(await sha256("# Sales\n\nup\n"));

    const content = await api(first.version.contentUrl.replace("/api/v1", ""), { key });
    expect(content.status).toBe(200);
    expect(content.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(content.headers.get("etag")).toBe(`"${first.version.sha256}"`);
    expect(await content.text()).toBe("# Sales\n\nup\n");
    const cached = await api(first.version.contentUrl.replace("/api/v1", ""), { key, headers: { "if-none-match": `"${first.version.sha256}"` } });
    expect(cached.status).toBe(304);

    const again = await store(key, { name: "sales", content: "# Sales\n\nup\n" }, 200);
    expect(again).toMatchObject({ duplicate: true, report: { latestVersion: 1 }, version: { version: 1 } });

    const forced = await store(key, { name: "sales", content: "# Sales\n\nup\n", onDuplicate: "store" });
    expect(forced).toMatchObject({ duplicate: false, version: { version: 2, sha256: first.version.sha256 } });
    // Content-addressed: two versions with equal bytes share one object.
    expect(await objectsOf(tenant)).toEqual([first.version.sha256]);

    const third = await store(key, { name: "sales", content: "# Sales\n\ndown\n" });
    expect(third.version.version).toBe(3);
    expect(await objectsOf(tenant)).toEqual([first.version.sha256, third.version.sha256].sort());

    const report = await json(await api(`/reports/${first.report.id}`, { key }), 200);
    expect(report).toMatchObject({ id: first.report.id, latestVersion: 3, latest: { version: 3, sha256: third.version.sha256 } });
    const page = await json(await api(`/reports/${first.report.id}/versions?limit=2`, { key }), 200);
    expect(page.items.map((v: any) => v.version)).toEqual([3, 2]);
    const rest = await json(await api(`/reports/${first.report.id}/versions?limit=2&cursor=${page.nextCursor}`, { key }), 200);
    expect(rest.items.map((v: any) => v.version)).toEqual([1]);
    expect(rest.nextCursor).toBeNull();
  });

  it("stores binary content given as base64 and refuses content that is not", async () => {
    const { key } = await reportsTenant();
    const bytes = new Uint8Array([37, 80, 68, 70, 0, 255, 1, 2]);
    const stored = await store(key, { name: "bin", format: "pdf", content: btoa(String.fromCharCode(...bytes)), encoding: "base64" });
    const res = await api(`/reports/${stored.report.id}/versions/1`, { key });
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    const bad = await json(await api("/reports", { key, body: { name: "bin", format: "pdf", content: "%%%not base64", encoding: "base64" } }), 422);
    expect(bad.error.code).toBe("invalid_content");
  });

  it("gives concurrent writers to one report consecutive versions", async () => {
    const { key } = await reportsTenant();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store(key, { name: "busy", content: `v${i}\n` })));
    expect(results.map((r) => r.version.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.report.id)).size).toBe(1);
    const report = await json(await api(`/reports/${results[0].report.id}`, { key }), 200);
    expect(report.latestVersion).toBe(12);
  });

  it("gives a retried job its earlier version back instead of writing another", async () => {
    const { tenant } = await reportsTenant();
    const input = { tenant, target: { name: "retried" }, format: "text" as const, bytes: new TextEncoder().encode("same"), jobId: "job_RETRIED", onDuplicate: "store" as const };
    const first = await storeVersion(env, input);
    const second = await storeVersion(env, input);
    expect(first?.version.version).toBe(1);
    expect(second).toMatchObject({ duplicate: false, version: { version: 1, jobId: "job_RETRIED" }, report: { latestVersion: 1 } });
  });
});

describe("diffs", () => {
  it("returns a unified diff between two text versions, empty for equal ones", async () => {
    const { key } = await reportsTenant();
    const a = await store(key, { name: "d", content: "one\ntwo\nthree\n" });
    await store(key, { name: "d", content: "one\n2\nthree\nfour\n" });
    await store(key, { name: "d", content: "one\n2\nthree\nfour\n", onDuplicate: "store" });
    const res = await api(`/reports/${a.report.id}/diff?from=1&to=2`, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/x-diff; charset=utf-8");
    expect(await res.text()).toBe("--- d v1\n+++ d v2\n@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four\n");
    expect(await (await api(`/reports/${a.report.id}/diff?from=2&to=3`, { key })).text()).toBe("");
  });

  it("refuses to diff a binary format with a 422, and bad version numbers with 4xx", async () => {
    const { key } = await reportsTenant();
    const pdf = await store(key, { name: "p", format: "pdf", content: btoa("%PDF-1"), encoding: "base64" });
    await store(key, { name: "p", format: "pdf", content: btoa("%PDF-2"), encoding: "base64" });
    const err = await json(await api(`/reports/${pdf.report.id}/diff?from=1&to=2`, { key }), 422);
    expect(err.error.code).toBe("binary_format");
    expect((await api(`/reports/${pdf.report.id}/diff?from=1&to=9`, { key })).status).toBe(404);
    expect((await api(`/reports/${pdf.report.id}/diff?from=1`, { key })).status).toBe(400);
    expect((await api(`/reports/${pdf.report.id}/diff?from=x&to=2`, { key })).status).toBe(400);
    expect((await api(`/reports/${pdf.report.id}/versions/0`, { key })).status).toBe(400);
    expect((await api(`/reports/${pdf.report.id}/versions/abc`, { key })).status).toBe(400);
  });
});

describe("retention and deletion", () => {
  it("cleanup keeps the newest N versions and deletes the objects no other version uses", async () => {
    const { key, tenant } = await reportsTenant();
    const first = await store(key, { name: "r", content: "a\n" });
    await store(key, { name: "r", content: "b\n" });
    await store(key, { name: "r", content: "c\n" });
    await store(key, { name: "r", content: "d\n" });
    // Another report holds "a": its object must survive the cleanup.
    await store(key, { name: "other", content: "a\n" });

    const result = await json(await api(`/reports/${first.report.id}/cleanup?keep=2`, { key, method: "POST" }), 200);
    expect(result).toEqual({ deletedVersions: 2, deletedObjects: 1 });
    const versions = await json(await api(`/reports/${first.report.id}/versions`, { key }), 200);
    expect(versions.items.map((v: any) => v.version)).toEqual([4, 3]);
    expect(await objectsOf(tenant)).toEqual([await sha256("a\n"), await sha256("c\n"), await sha256("d\n")].sort());
    // Numbering carries on after a cleanup.
    expect((await store(key, { name: "r", content: "e\n" })).version.version).toBe(5);
    expect((await api(`/reports/${first.report.id}/cleanup?keep=0`, { key, method: "POST" })).status).toBe(400);
  });

  it("deleting a report removes its versions and its unshared objects", async () => {
    const { key, tenant } = await reportsTenant();
    const doomed = await store(key, { name: "doomed", content: "shared\n" });
    await store(key, { name: "doomed", content: "mine\n" });
    await store(key, { name: "kept", content: "shared\n" });
    expect((await api(`/reports/${doomed.report.id}`, { key, method: "DELETE" })).status).toBe(204);
    expect((await api(`/reports/${doomed.report.id}`, { key })).status).toBe(404);
    expect((await api(`/reports/${doomed.report.id}/versions/1`, { key })).status).toBe(404);
    expect(await objectsOf(tenant)).toEqual([await sha256("shared\n")]);
    expect((await api(`/reports/${doomed.report.id}`, { key, method: "DELETE" })).status).toBe(404);
  });
});

describe("report access", () => {
  it("keeps tenants apart on every route", async () => {
    const a = await reportsTenant();
    const b = await reportsTenant();
    const mine = await store(a.key, { name: "private", content: "secret\n" });
    await store(a.key, { name: "private", content: "secret 2\n" });
    const id = mine.report.id;
    for (const [path, method] of [
      [`/reports/${id}`, "GET"],
      [`/reports/${id}/versions`, "GET"],
      [`/reports/${id}/versions/1`, "GET"],
      [`/reports/${id}/diff?from=1&to=2`, "GET"],
      [`/reports/${id}/cleanup?keep=1`, "POST"],
      [`/reports/${id}`, "DELETE"],
    ] as const) {
      expect((await api(path, { key: b.key, method })).status, `${method} ${path}`).toBe(404);
    }
    expect((await json(await api("/reports", { key: b.key }), 200)).items).toEqual([]);
    // The same name in another tenant is another report.
    const theirs = await store(b.key, { name: "private", content: "secret\n" });
    expect(theirs.report.id).not.toBe(id);
    expect(theirs.version.version).toBe(1);
    expect((await json(await api(`/reports/${id}`, { key: a.key }), 200)).latestVersion).toBe(2);
  });

  it("answers malformed stores with 4xx JSON errors and stores nothing", async () => {
    const { key, tenant } = await reportsTenant();
    for (const body of [{}, { name: "x", format: "xlsx", content: "" }, { name: "x", format: "text" }, { name: "", format: "text", content: "x" }, { name: "x", format: "text", content: 5 }]) {
      const res = await api("/reports", { key, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api("/reports", { key, body: "{oops" })).status).toBe(400);
    expect((await json(await api("/reports", { key }), 200)).items).toEqual([]);
    expect(await objectsOf(tenant)).toEqual([]);
    const readOnly = await newTenant(["reports:read"]);
    expect((await api("/reports", { key: readOnly.key, body: { name: "x", format: "text", content: "x" } })).status).toBe(403);
  });
});
