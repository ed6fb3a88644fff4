import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, json, newTenant } from "./helpers";

const BASE = "https://jobs.test/api/v1";

function send(key: string, path: string, method: string, body: BodyInit | null, headers: Record<string, string> = {}) {
  return exports.default.fetch(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...headers }, body });
}

async function sha256(bytes: Uint8Array) {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesOf(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe("simple uploads", () => {
  it("stores a file with its name, type, size and SHA-256, and serves it whole or by range", async () => {
    const { key, tenant } = await newTenant();
    const csv = new TextEncoder().encode("id,name\n1,ada\n2,grace\n");
    const created = await json(await send(key, "/uploads?name=people.csv", "POST", csv, { "content-type": "text/csv" }), 201);
    expect(created).toMatchObject({ name: "people.csv", contentType: "text/csv", status: "stored", size: csv.byteLength, sha256: await sha256(csv) });

    const whole = await api(`/uploads/${created.id}/content`, { key });
    expect(whole.headers.get("content-type")).toBe("text/csv");
    expect(await whole.text()).toBe("id,name\n1,ada\n2,grace\n");
    const part = await api(`/uploads/${created.id}/content`, { key, headers: { range: "bytes=8-12" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 8-12/${csv.byteLength}`);
    expect(await part.text()).toBe("1,ada");

    expect(await json(await api(`/uploads/${created.id}`, { key }), 200)).toEqual(created);
    expect((await json(await api("/uploads", { key }), 200)).items.map((u: any) => u.id)).toEqual([created.id]);
    expect((await env.BUCKET.head(`uploads/${tenant}/${created.id}`))?.size).toBe(csv.byteLength);

    expect((await api(`/uploads/${created.id}`, { key, method: "DELETE" })).status).toBe(204);
    expect((await api(`/uploads/${created.id}`, { key })).status).toBe(404);
    expect(await env.BUCKET.head(`uploads/${tenant}/${created.id}`)).toBeNull();
  });

  it("refuses uploads without a name or a length, and keeps tenants apart", async () => {
    const { key } = await newTenant();
    expect((await send(key, "/uploads", "POST", new Uint8Array([1]))).status).toBe(400);
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array([1, 2])), c.close()) });
    const noLength = await send(key, "/uploads?name=x", "POST", stream);
    expect(noLength.status).toBe(411);
    expect(((await noLength.json()) as any).error.code).toBe("length_required");

    const stored = await json(await send(key, "/uploads?name=a.bin", "POST", new Uint8Array([1, 2, 3])), 201);
    const other = await newTenant();
    for (const [path, method] of [[`/uploads/${stored.id}`, "GET"], [`/uploads/${stored.id}/content`, "GET"], [`/uploads/${stored.id}`, "DELETE"]] as const) {
      expect((await api(path, { key: other.key, method })).status, `${method} ${path}`).toBe(404);
    }
    expect((await json(await api("/uploads", { key: other.key }), 200)).items).toEqual([]);
    const readOnly = await newTenant(["jobs:read"]);
    expect((await send(readOnly.key, "/uploads?name=x", "POST", new Uint8Array([1]))).status).toBe(403);
  });
});

describe("multipart uploads", () => {
  it("assembles a large file from parts, computing its SHA-256", async () => {
    const { key } = await newTenant();
    const started = await json(await api("/uploads/multipart", { key, body: { name: "big.csv", contentType: "text/csv" } }), 201);
    expect(started).toMatchObject({ status: "uploading", size: null, sha256: null });
    expect((await api(`/uploads/${started.id}/content`, { key })).status).toBe(409);

    const parts = [bytesOf(5 * 1024 * 1024, 1), bytesOf(5 * 1024 * 1024, 2), bytesOf(123_457, 3)];
    const uploaded = [];
    // Parts may arrive in any order.
    for (const n of [3, 1, 2]) {
      uploaded.push(await json(await send(key, `/uploads/${started.id}/parts/${n}`, "PUT", parts[n - 1]!), 200));
    }
    const done = await json(await api(`/uploads/${started.id}/complete`, { key, body: { parts: uploaded } }), 200);
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const p of parts) {
      whole.set(p, offset);
      offset += p.byteLength;
    }
    expect(done).toMatchObject({ status: "stored", size: whole.byteLength, sha256: await sha256(whole), name: "big.csv" });
    const content = new Uint8Array(await (await api(`/uploads/${started.id}/content`, { key })).arrayBuffer());
    expect(content.byteLength).toBe(whole.byteLength);
    expect(await sha256(content)).toBe(done.sha256);

    expect((await send(key, `/uploads/${started.id}/parts/4`, "PUT", new Uint8Array([1]))).status).toBe(409);
    expect((await api(`/uploads/${started.id}/complete`, { key, body: { parts: uploaded } })).status).toBe(409);
  });

  it("refuses a completion with unknown parts, and deleting an open upload aborts it", async () => {
    const { key } = await newTenant();
    const started = await json(await api("/uploads/multipart", { key, body: { name: "x.bin" } }), 201);
    const part = await json(await send(key, `/uploads/${started.id}/parts/1`, "PUT", bytesOf(1000, 7)), 200);
    const bad = await json(await api(`/uploads/${started.id}/complete`, { key, body: { parts: [{ ...part, etag: "not-the-etag" }] } }), 422);
    expect(bad.error.code).toBe("invalid_parts");
    for (const body of [{ parts: [] }, { parts: [part, part] }, { parts: [{ partNumber: 0, etag: "x" }] }, {}]) {
      expect((await api(`/uploads/${started.id}/complete`, { key, body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await send(key, `/uploads/${started.id}/parts/0`, "PUT", new Uint8Array([1]))).status).toBe(400);
    expect((await send(key, `/uploads/${started.id}/parts/10001`, "PUT", new Uint8Array([1]))).status).toBe(400);
    expect((await api("/uploads/multipart", { key, body: { name: "x", contentType: "not a type" } })).status).toBe(400);

    expect((await api(`/uploads/${started.id}`, { key, method: "DELETE" })).status).toBe(204);
    expect((await api(`/uploads/${started.id}`, { key })).status).toBe(404);
  });
});
