import { describe, expect, it } from "vitest";
import { chunkText } from "../../src/documents/chunk";
import { textToPdf } from "../../src/reports/pdf";
import { api, env, json, newTenant, rowsInEveryShard, uploadFile, waitFor, waitForStatus } from "./helpers";

async function ingest(key: string, name: string, type: string, body: BodyInit, extra: Record<string, unknown> = {}) {
  const file = await uploadFile(key, name, type, body);
  const doc = await json(await api("/documents", { key, body: { uploadId: file.id, collection: "handbook", ...extra } }), 202);
  await waitForStatus(key, doc.jobId, ["completed", "failed"]);
  return json(await api(`/documents/${doc.id}`, { key }), 200);
}

async function search(key: string, query: string) {
  return json(await api(`/search?${query}`, { key }), 200);
}

describe("document ingestion and search", () => {
  it("extracts, chunks and indexes each kind of document, and finds it by its words", async () => {
    const { key } = await newTenant();
    const pdf = await textToPdf("# Travel policy\nEmployees book trains for trips under 500 kilometres.", "travel");
    const docs = [
      await ingest(key, "leave.txt", "text/plain", "Parental leave lasts sixteen weeks at full pay."),
      await ingest(key, "onboarding.md", "text/markdown", "# Onboarding\n\nEvery newcomer gets a laptop and a mentor."),
      await ingest(key, "office.html", "text/html", "<html><head><title>x</title><script>var secretword = 1;</script></head><body><h1>Office</h1><p>The kitchen has espresso &amp; tea.</p></body></html>"),
      await ingest(key, "teams.csv", "text/csv", "team,lead\nplatform,Grace\nsecurity,Alan\n"),
      await ingest(key, "tools.json", "application/json", JSON.stringify({ tools: [{ name: "ticketing", vendor: "Acme" }] })),
      await ingest(key, "travel.pdf", "application/pdf", pdf),
    ];
    for (const doc of docs) expect(doc, doc.name).toMatchObject({ status: "completed", error: null, chunks: 1 });

    for (const [query, name] of [
      ["q=sixteen weeks", "leave.txt"],
      ["q=mentor", "onboarding.md"],
      ["q=espresso", "office.html"],
      ["q=Grace", "teams.csv"],
      ["q=Acme", "tools.json"],
      ["q=trains kilometres", "travel.pdf"],
    ]) {
      const found = await search(key, query!);
      expect(found.items.map((i: any) => i.documentName), query).toEqual([name]);
      expect(found.items[0].snippet).toContain("<mark>");
    }
    expect((await search(key, "q=secretword")).items).toEqual([]);
    // Stemming: "trip" finds "trips".
    expect((await search(key, "q=trip")).items.map((i: any) => i.documentName)).toEqual(["travel.pdf"]);
  });

  it("chunks long text with overlap and ranks the chunks that match best first", async () => {
    const { key } = await newTenant();
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(" ");
    const text = `${filler(200)} volcano ${filler(200)} volcano volcano volcano eruption ${filler(200)}`;
    const doc = await ingest(key, "long.txt", "text/plain", text, { chunkSize: 500, chunkOverlap: 100 });
    expect(doc.chunks).toBeGreaterThan(text.length / 500);
    const found = await search(key, "q=volcano&limit=5");
    expect(found.items.length).toBeGreaterThanOrEqual(2);
    expect(found.items[0].snippet).toContain("<mark>volcano</mark> <mark>volcano</mark>");
    expect(found.items[0].score).toBeGreaterThan(found.items.at(-1).score);
    const phrase = await search(key, 'q="volcano eruption"');
    expect(phrase.items).toHaveLength(1);
  });

  it("reads long documents in pieces and chunks them exactly as the whole text", async () => {
    const { key, tenant } = await newTenant();
    const words = Array.from({ length: 400_000 }, (_, i) => `w${i % 997}`).join(" ");
    const text = `${words} needleattheend`;
    const doc = await ingest(key, "long.md", "text/markdown", text, { chunkSize: 2_000, chunkOverlap: 300 });
    expect(doc.status).toBe("completed");
    expect(doc.textLength).toBe(text.length);
    expect(doc.chunks).toBe(chunkText(text, 2_000, 300).length);
    expect((await env.BUCKET.list({ prefix: `documents/${tenant}/${doc.id}/` })).objects.length).toBeGreaterThan(1);
    expect((await search(key, "q=needleattheend")).items).toEqual([expect.objectContaining({ chunk: doc.chunks - 1 })]);
  });

  it("filters documents by collection, status and metadata, and reports collection stats", async () => {
    const { key } = await newTenant();
    const a = await ingest(key, "a.txt", "text/plain", "alpha text", { metadata: { team: "core", year: 2026 } });
    const b = await ingest(key, "b.txt", "text/plain", "beta text", { metadata: { team: "infra" }, collection: "other" });
    const list = async (q: string) => (await json(await api(`/documents?${q}`, { key }), 200)).items.map((d: any) => d.name);
    expect(await list("collection=handbook")).toEqual(["a.txt"]);
    expect(await list("meta.team=infra")).toEqual(["b.txt"]);
    expect(await list("meta.year=2026")).toEqual(["a.txt"]);
    expect(await list("status=completed")).toEqual(["b.txt", "a.txt"]);
    expect((await api("/documents?bogus=1", { key })).status).toBe(400);
    const stats = await json(await api("/collections/handbook", { key }), 200);
    expect(stats).toEqual({ name: "handbook", documents: 1, byStatus: { completed: 1 }, chunks: 1, bytes: a.size });
    expect((await search(key, "q=text&collection=other")).items.map((i: any) => i.documentId)).toEqual([b.id]);
    expect((await api("/collections/nothing-here", { key })).status).toBe(404);
  });

  it("deleting a document removes its chunks, its index entries and its bytes", async () => {
    const { key, tenant } = await newTenant();
    const doc = await ingest(key, "gone.txt", "text/plain", "ephemeral content");
    expect((await search(key, "q=ephemeral")).items).toHaveLength(1);
    expect((await api(`/documents/${doc.id}`, { key, method: "DELETE" })).status).toBe(204);
    expect((await search(key, "q=ephemeral")).items).toEqual([]);
    expect((await api(`/documents/${doc.id}`, { key })).status).toBe(404);
    expect(await env.BUCKET.head(`uploads/${tenant}/${doc.uploadId}`)).toBeNull();
    expect((await env.BUCKET.list({ prefix: `documents/${tenant}/${doc.id}/` })).objects).toEqual([]);
    const chunks = await rowsInEveryShard<{ n: number }>("SELECT count(*) AS n FROM document_chunks WHERE document_id = ?", doc.id);
    expect(chunks.reduce((sum, row) => sum + row.n, 0)).toBe(0);
  });

  it("registers and deletes documents in batches", async () => {
    const { key } = await newTenant();
    const files = await Promise.all(["one", "two", "three"].map((w) => uploadFile(key, `${w}.txt`, "text/plain", `number ${w}`)));
    const registered = await json(await api("/documents/batch", { key, body: { documents: files.map((f) => ({ uploadId: f.id, collection: "nums" })) } }), 202);
    expect(registered.items).toHaveLength(3);
    for (const d of registered.items) await waitForStatus(key, d.jobId, ["completed"]);
    expect((await search(key, "q=number&collection=nums")).items).toHaveLength(3);
    const deleted = await json(await api("/documents/batch-delete", { key, body: { ids: [registered.items[0].id, registered.items[1].id, "doc_NOPE"] } }), 200);
    expect(deleted).toEqual({ deleted: 2, missing: ["doc_NOPE"] });
    expect((await search(key, "q=number")).items.map((i: any) => i.documentName)).toEqual(["three.txt"]);
    const bad = await json(await api("/documents/batch", { key, body: { documents: [{ uploadId: files[2]!.id, collection: "nums" }, { uploadId: "upl_NOPE", collection: "nums" }] } }), 422);
    expect(bad.error.details).toEqual([{ path: "documents.1.uploadId", message: "upload upl_NOPE not found or not complete" }]);
  });

  it("marks a document it cannot read as failed, and refuses bad requests", async () => {
    const { key } = await newTenant();
    const png = await ingest(key, "logo.png", "image/png", new Uint8Array([137, 80, 78, 71]));
    expect(png).toMatchObject({ status: "failed", chunks: 0 });
    expect(png.error).toMatch(/not a kind of document/);
    const broken = await ingest(key, "broken.pdf", "application/pdf", new TextEncoder().encode("%PDF-1.4 this is not really a pdf"));
    expect(broken.status).toBe("failed");

    const file = await uploadFile(key, "x.txt", "text/plain", "x");
    for (const body of [{ uploadId: file.id }, { uploadId: file.id, collection: "bad name!" }, { uploadId: file.id, collection: "c", chunkSize: 100, chunkOverlap: 100 }]) {
      expect((await api("/documents", { key, body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await api("/documents", { key, body: { uploadId: "upl_NOPE", collection: "c" } })).status).toBe(422);
    expect((await api("/search?q=", { key })).status).toBe(400);
    expect((await api("/search?q=%22%22%20***", { key })).status).toBe(400);
    expect((await api("/search?q=AND%20OR%20NEAR(%22x", { key })).status).toBe(200);
  });

  it("keeps tenants apart in documents and search", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const doc = await ingest(a.key, "private.txt", "text/plain", "confidential roadmap");
    expect((await search(b.key, "q=confidential")).items).toEqual([]);
    expect((await api(`/documents/${doc.id}`, { key: b.key })).status).toBe(404);
    expect((await api(`/documents/${doc.id}`, { key: b.key, method: "DELETE" })).status).toBe(404);
    expect((await json(await api("/documents", { key: b.key }), 200)).items).toEqual([]);
    expect((await api("/collections/handbook", { key: b.key })).status).toBe(404);
    await waitFor(() => search(a.key, "q=confidential"), (r) => r.items.length === 1);
  });
});
