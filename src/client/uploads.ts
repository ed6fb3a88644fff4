import { type Http, paginate, segment } from "./http";
import type { Upload, UploadedPart } from "./types";

/** R2's floor for every part but the last (src/uploads/store.ts MIN_PART_BYTES). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;

export interface UploadOptions {
  name: string;
  contentType?: string;
  /** Bytes per part (default and minimum 5 MiB; the last part may be shorter). */
  partSize?: number;
  /** The whole size, when the source does not tell it (a stream): only for `onProgress`. */
  size?: number;
  onProgress?: (sentBytes: number, totalBytes: number | undefined) => void;
  signal?: AbortSignal;
}

type Source = Blob | ReadableStream<Uint8Array>;

/**
 * The source cut into parts of exactly `partSize` bytes (the last one shorter), reading ahead no
 * more than one part: a file of any size passes through in bounded memory.
 */
async function* partsOf(source: Source, partSize: number): AsyncGenerator<Uint8Array, void, undefined> {
  if (!(source instanceof ReadableStream)) {
    for (let offset = 0; offset < source.size || offset === 0; offset += partSize) {
      yield new Uint8Array(await source.slice(offset, offset + partSize).arrayBuffer());
      if (source.size === 0) return;
    }
    return;
  }
  const reader = source.getReader();
  let part = new Uint8Array(partSize);
  let filled = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let offset = 0;
    while (offset < value.length) {
      const take = Math.min(partSize - filled, value.length - offset);
      part.set(value.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === partSize) {
        yield part;
        part = new Uint8Array(partSize);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield part.subarray(0, filled);
}

export class Uploads {
  constructor(private readonly http: Http) {}

  /**
   * Streams a Blob, File or ReadableStream of any size through the multipart routes: start, one PUT
   * per part (each retried on 429/5xx), complete. Resolves with the stored upload.
   */
  async upload(source: Source, options: UploadOptions): Promise<Upload> {
    const partSize = Math.max(MIN_PART_BYTES, options.partSize ?? MIN_PART_BYTES);
    const total = source instanceof ReadableStream ? options.size : source.size;
    const contentType = options.contentType ?? (source instanceof Blob && source.type ? source.type : undefined);
    const started = await this.http.json<Upload>("POST", "/uploads/multipart", {
      json: { name: options.name, contentType },
      signal: options.signal,
    });
    const parts: UploadedPart[] = [];
    let sent = 0;
    options.onProgress?.(0, total);
    for await (const bytes of partsOf(source, partSize)) {
      const n = parts.length + 1;
      if (n > MAX_PARTS) throw new RangeError(`more than ${MAX_PARTS} parts: use a larger partSize`);
      const part = await this.http.json<UploadedPart>("PUT", `/uploads/${segment(started.id)}/parts/${n}`, {
        body: bytes,
        headers: { "content-type": "application/octet-stream" },
        signal: options.signal,
      });
      parts.push(part);
      sent += bytes.length;
      options.onProgress?.(sent, total);
    }
    return this.http.json<Upload>("POST", `/uploads/${segment(started.id)}/complete`, { json: { parts }, signal: options.signal });
  }

  get(id: string): Promise<Upload> {
    return this.http.json<Upload>("GET", `/uploads/${segment(id)}`);
  }

  list(options: { limit?: number } = {}): AsyncGenerator<Upload, void, undefined> {
    return paginate<Upload>(this.http, "/uploads", options);
  }

  /** The stored bytes as a streamed response; `range` as in `bytes=0-99`. */
  content(id: string, options: { range?: string } = {}): Promise<Response> {
    return this.http.send("GET", `/uploads/${segment(id)}/content`, { headers: options.range ? { range: options.range } : {} });
  }

  async delete(id: string): Promise<void> {
    await this.http.json<void>("DELETE", `/uploads/${segment(id)}`);
  }
}

