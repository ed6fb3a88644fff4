import type { Http } from "./http";

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** The messages of a text/event-stream body, as the HTML standard splits them. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let message: { id?: string; event?: string; data: string[] } = { data: [] };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") {
          if (message.data.length > 0) yield { id: message.id, event: message.event ?? "message", data: message.data.join("\n") };
          message = { data: [] };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") message.data.push(value);
        else if (field === "id") message.id = value;
        else if (field === "event") message.event = value;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined); // already closed or errored: nothing to release
  }
}

export interface ResumableOptions<E extends { seq: number }> {
  /** Resume after this seq (events up to it are not yielded). */
  after?: number;
  signal?: AbortSignal;
  /** Whether the stream is over after this event (the server then closes it). */
  isFinal?: (event: E) => boolean;
  /** Waits before a reconnect, doubled after each that brought nothing (default 250 ms, at most 10 s). */
  reconnectMs?: number;
}

/**
 * An SSE stream that reconnects by itself with `after=<last seq>` whenever the connection ends or
 * fails before a final event, and yields each seq once, in order: what a reconnect sends again is
 * skipped. It ends at a final event, at a 204 (nothing more will come), or when `signal` aborts.
 */
export async function* resumable<E extends { seq: number }>(
  http: Http,
  path: string,
  options: ResumableOptions<E> = {},
): AsyncGenerator<E, void, undefined> {
  let last = options.after;
  let quietRounds = 0;
  const base = options.reconnectMs ?? 250;
  for (;;) {
    let progressed = false;
    try {
      const response = await http.send("GET", path, {
        query: { after: last },
        headers: { accept: "text/event-stream" },
        signal: options.signal,
      });
      if (response.status === 204 || !response.body) return;
      for await (const message of readSse(response.body)) {
        const event = JSON.parse(message.data) as E;
        // A snapshot restarts the numbering only when the server could not resume: it is never older.
        if (last !== undefined && event.seq <= last) continue;
        last = event.seq;
        progressed = true;
        yield event;
        if (options.isFinal?.(event)) return;
      }
    } catch (error) {
      // API errors (404, 401, …) are final; a cut connection is what reconnecting is for.
      if (options.signal?.aborted || (error as { status?: number }).status !== undefined && (error as { status: number }).status > 0) {
        throw error;
      }
    }
    quietRounds = progressed ? 0 : quietRounds + 1;
    await new Promise((r) => setTimeout(r, Math.min(10_000, base * 2 ** Math.max(0, quietRounds - 1))));
    if (options.signal?.aborted) throw options.signal.reason;
  }
}
