import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { api, newTenant, uploadFile } from "./helpers";

const TEN_BYTES = "0123456789";

async function fetchRange(key: string, id: string, range: string) {
  const res = await api(`/uploads/${id}/content`, { key, headers: { range } });
  return { res, contentRange: res.headers.get("content-range") };
}

describe("range requests on upload content", () => {
  it("answers 206 with exactly the asked bytes for valid, open and suffix ranges, clamping an end past the size", async () => {
    const { key } = await newTenant();
    const file = await uploadFile(key, "ten.txt", "text/plain", TEN_BYTES);
    for (const [range, contentRange, body] of [
      ["bytes=0-3", "bytes 0-3/10", "0123"],
      ["bytes=2-2", "bytes 2-2/10", "2"],
      ["bytes=9-9", "bytes 9-9/10", "9"],
      ["bytes=5-50", "bytes 5-9/10", "56789"],
      ["bytes=0-", "bytes 0-9/10", TEN_BYTES],
      ["bytes=7-", "bytes 7-9/10", "789"],
      ["bytes=-3", "bytes 7-9/10", "789"],
      ["bytes=-50", "bytes 0-9/10", TEN_BYTES],
      ["BYTES=1-2", "bytes 1-2/10", "12"],
    ] as const) {
      const { res, contentRange: got } = await fetchRange(key, file.id, range);
      expect(res.status, range).toBe(206);
      expect(got, range).toBe(contentRange);
      expect(res.headers.get("content-length"), range).toBe(String(body.length));
      expect(await res.text(), range).toBe(body);
    }
  });

  it("answers 416 with Content-Range bytes */size and the error envelope for unsatisfiable ranges", async () => {
    const { key } = await newTenant();
    const file = await uploadFile(key, "ten.txt", "text/plain", TEN_BYTES);
    for (const range of ["bytes=10-", "bytes=50-60", "bytes=5-2", "bytes=-0", "bytes=10-10"]) {
      const { res, contentRange } = await fetchRange(key, file.id, range);
      expect(contentRange, range).toBe("bytes */10");
      const error = await expectError(res, 416, "range_not_satisfiable");
      expect(error.message, range).toContain("10 bytes");
    }
    const empty = await uploadFile(key, "empty.txt", "text/plain", "");
    for (const range of ["bytes=0-", "bytes=-1"]) {
      const { res, contentRange } = await fetchRange(key, empty.id, range);
      expect(contentRange, range).toBe("bytes */0");
      await expectError(res, 416, "range_not_satisfiable");
    }
  });

  it("answers 200 with the whole body for other units, several ranges and malformed Range headers", async () => {
    const { key } = await newTenant();
    const file = await uploadFile(key, "ten.txt", "text/plain", TEN_BYTES);
    for (const range of ["abc", "items=0-1", "bytes=", "bytes=-", "bytes=a-b", "bytes=1-2-3", "bytes=--1", "bytes=0-1,4-5", "bytes 0-1"]) {
      const { res, contentRange } = await fetchRange(key, file.id, range);
      expect(res.status, range).toBe(200);
      expect(contentRange, range).toBeNull();
      expect(res.headers.get("accept-ranges"), range).toBe("bytes");
      expect(res.headers.get("content-length"), range).toBe("10");
      expect(await res.text(), range).toBe(TEN_BYTES);
    }
    const whole = await api(`/uploads/${file.id}/content`, { key });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(await whole.text()).toBe(TEN_BYTES);
  });

  it("reads a range from deep inside a larger upload", async () => {
    const { key } = await newTenant();
    const bytes = new Uint8Array(3 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
    const file = await uploadFile(key, "big.bin", "application/octet-stream", bytes);
    const offset = 2 * 1024 * 1024 + 17;
    const { res, contentRange } = await fetchRange(key, file.id, `bytes=${offset}-${offset + 999}`);
    expect(res.status).toBe(206);
    expect(contentRange).toBe(`bytes ${offset}-${offset + 999}/${bytes.length}`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes.slice(offset, offset + 1000));
  });
});
