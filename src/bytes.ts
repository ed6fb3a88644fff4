/** Byte helpers the API and the domain modules share. */

export function concatenate(chunks: Uint8Array[], size = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

/**
 * Reads a stream up to `maxBytes`: its bytes, or the first `maxBytes` of them with `overflowed`
 * when it holds more. The rest is never read (the stream is cancelled), so nothing past the bound
 * is held in memory.
 */
export async function readAtMost(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<{ bytes: Uint8Array; overflowed: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: concatenate(chunks, size), overflowed: false };
    const room = maxBytes - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      await reader.cancel();
      return { bytes: concatenate(chunks, maxBytes), overflowed: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
}
