import { describe, expect, it } from "vitest";
import { MAX_CHUNKS_PER_DOCUMENT, chunkText } from "../../src/documents/chunk";
import { segmentKey } from "../../src/documents/store";
import { expectError } from "./api-helpers";
import { api, env, json, newTenant, rowsInEveryShard, uploadFile, waitForStatus } from "./helpers";

const OVERLAP_RULE = "chunkOverlap must be less than half of chunkSize";

async function register(key: string, uploadId: string, extra: Record<string, unknown> = {}) {
  return json(await api("/documents", { key, body: { uploadId, collection: "bounds", ...extra } }), 202);
}

async function ingested(key: string, doc: { id: string; jobId: string }) {
  await waitForStatus(key, doc.jobId, ["completed", "failed"], 120_000);
  return json(await api(`/documents/${doc.id}`, { key }), 200);
}

async function chunkCount(documentId: string) {
  const counts = await rowsInEveryShard<{ n: number }>("SELECT count(*) AS n FROM document_chunks WHERE document_id = ?", documentId);
  return counts.reduce((sum, row) => sum + row.n, 0);
}

describe("document bounds", () => {
  it("refuses an overlap of half the chunk size or more, wherever chunk options are accepted", async () => {
    const { key } = await newTenant();
    const file = await uploadFile(key, "a.txt", "text/plain", "some words");
    for (const [chunkSize, chunkOverlap] of [[100, 50], [100, 99], [1_000, 500], [20_000, 5_000 + 1]]) {
      const error = await expectError(await api("/documents", { key, body: { uploadId: file.id, collection: "c", chunkSize, chunkOverlap } }), 400, "validation_failed");
      expect(error.details, `${chunkSize}/${chunkOverlap}`).toContainEqual(expect.objectContaining({ path: "chunkOverlap" }));
    }
    const refused = await expectError(await api("/documents", { key, body: { uploadId: file.id, collection: "c", chunkSize: 100, chunkOverlap: 50 } }), 400);
    expect(refused.details).toEqual([expect.objectContaining({ path: "chunkOverlap", message: OVERLAP_RULE })]);

    const batch = await expectError(
      await api("/documents/batch", { key, body: { documents: [{ uploadId: file.id, collection: "c" }, { uploadId: file.id, collection: "c", chunkSize: 200, chunkOverlap: 100 }] } }),
      400,
    );
    expect(batch.details).toEqual([expect.objectContaining({ path: "documents.1.chunkOverlap", message: OVERLAP_RULE })]);

    const job = await expectError(
      await api("/jobs", { key, body: { type: "document.ingest", input: { documentId: "doc_X", chunkSize: 100, chunkOverlap: 99 } } }),
      422,
      "invalid_job",
    );
    expect(job.details).toEqual([expect.objectContaining({ path: "input.chunkOverlap", message: OVERLAP_RULE })]);
    expect((await json(await api("/documents", { key }), 200)).items).toEqual([]);

    const accepted = await register(key, file.id, { chunkSize: 100, chunkOverlap: 49 });
    expect(await ingested(key, accepted)).toMatchObject({ status: "completed", chunks: 1 });
  });

  it("moves each chunk on by a good part of the chunk size, whatever the words", () => {
    // Long words between short ones: moving chunk starts back to whole words used to advance 2 characters a chunk.
    for (const [size, overlap] of [[100, 49], [1_000, 200], [1_000, 499]] as const) {
      const text = Array.from({ length: 200 }, () => `x ${"b".repeat(size - 3)}`).join(" ");
      const chunks = chunkText(text, size, overlap);
      expect(chunks.length, `${size}/${overlap}`).toBeLessThanOrEqual(Math.ceil((4 * text.length) / size) + 1);
      expect(chunks.every((c) => c.length <= size)).toBe(true);
      expect(chunks.join(" ")).toContain("x");
    }
  });

  it("fails a document that would have more chunks than the cap, keeping none of them", async () => {
    const { key, tenant } = await newTenant();
    // Words of 10 characters with their space: each 100-character chunk holds 10 of them.
    const words = Math.ceil(((MAX_CHUNKS_PER_DOCUMENT + 100) * 100) / 10);
    const text = Array.from({ length: words }, (_, i) => `w${String(i).padStart(8, "0")}`).join(" ");
    const file = await uploadFile(key, "huge.txt", "text/plain", text);
    const doc = await ingested(key, await register(key, file.id, { chunkSize: 100, chunkOverlap: 0 }));
    expect(doc).toMatchObject({ status: "failed", chunks: 0 });
    expect(doc.error).toContain(`more than ${MAX_CHUNKS_PER_DOCUMENT} chunks`);
    expect(await chunkCount(doc.id)).toBe(0);
    expect((await json(await api("/search?q=w00000001", { key }), 200)).items).toEqual([]);
    expect(await env.BUCKET.head(`uploads/${tenant}/${file.id}`)).not.toBeNull();
  });

  it("replaces numeric character references that name no character with U+FFFD instead of failing the document", async () => {
    const { key, tenant } = await newTenant();
    const html =
      "<html><body><p>before &#99999999; &#x110000; &#1114112; &#xD800; &#55296; &#0; &#x0; &#99999999999999999999999; middle</p>" +
      "<p>caf&#233; &#x1F600; &#X41; &#10FFFF; after</p></body></html>";
    const file = await uploadFile(key, "refs.html", "text/html", html);
    const doc = await ingested(key, await register(key, file.id));
    expect(doc).toMatchObject({ status: "completed", error: null, chunks: 1 });
    const text = await (await env.BUCKET.get(segmentKey(tenant, doc.id, 0)))!.text();
    expect(text).toContain(`before ${Array(8).fill("\uFFFD").join(" ")} middle`);
    expect(text).toContain("café \u{1F600} A &#10FFFF; after");
    const found = await json(await api("/search?q=middle", { key }), 200);
    expect(found.items.map((i: { documentId: string }) => i.documentId)).toEqual([doc.id]);
  });

  it("keeps an upload shared by documents until the last of them is deleted", async () => {
    const { key, tenant } = await newTenant();
    const shared = await uploadFile(key, "shared.txt", "text/plain", "shared handbook text");
    const own = await uploadFile(key, "own.txt", "text/plain", "its own text");
    const first = await ingested(key, await register(key, shared.id));
    const second = await ingested(key, await register(key, shared.id, { collection: "other" }));
    const third = await ingested(key, await register(key, shared.id));
    const alone = await ingested(key, await register(key, own.id));
    const uploadStays = async (id: string) => {
      expect((await api(`/uploads/${id}`, { key })).status).toBe(200);
      expect(await (await api(`/uploads/${id}/content`, { key })).text()).not.toBe("");
      expect(await env.BUCKET.head(`uploads/${tenant}/${id}`)).not.toBeNull();
    };
    const uploadGone = async (id: string) => {
      expect((await api(`/uploads/${id}`, { key })).status).toBe(404);
      expect(await env.BUCKET.head(`uploads/${tenant}/${id}`)).toBeNull();
    };

    // The upload itself cannot be deleted from under its documents.
    await expectError(await api(`/uploads/${shared.id}`, { key, method: "DELETE" }), 409, "upload_in_use");
    await uploadStays(shared.id);

    expect((await api(`/documents/${first.id}`, { key, method: "DELETE" })).status).toBe(204);
    await uploadStays(shared.id);
    expect((await json(await api("/search?q=handbook", { key }), 200)).items.map((i: { documentId: string }) => i.documentId).sort()).toEqual(
      [second.id, third.id].sort(),
    );

    // One of the two left goes in a batch with a document of its own upload.
    const deleted = await json(await api("/documents/batch-delete", { key, body: { ids: [second.id, alone.id] } }), 200);
    expect(deleted).toEqual({ deleted: 2, missing: [] });
    await uploadStays(shared.id);
    await uploadGone(own.id);

    expect((await api(`/documents/${third.id}`, { key, method: "DELETE" })).status).toBe(204);
    await uploadGone(shared.id);
  });
});
