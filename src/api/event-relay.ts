const CLOSE_NORMAL = 1000;
const CLOSE_INTERNAL_ERROR = 1011;
/** Close codes a peer may receive but never send: no status is a normal end, the others are not. */
const SENDABLE_CLOSE_CODE: Record<number, number> = { 1005: CLOSE_NORMAL, 1006: CLOSE_INTERNAL_ERROR, 1015: CLOSE_INTERNAL_ERROR };

/**
 * Relays a job's event stream from its Durable Object to a websocket client. The object's socket
 * is hibernatable, and the runtime finishes a hibernatable socket's close only some ten seconds
 * after the close handshake, so a client talking to the object directly saw its stream end that
 * late. The worker's own socket closes the moment the object's does; the object still hibernates.
 */
export function relayWebSocket(upstream: WebSocket): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  upstream.accept();
  upstream.addEventListener("message", (event) => sendOrClose(server, event.data, upstream));
  // Pings travel on to the object, which answers them.
  server.addEventListener("message", (event) => sendOrClose(upstream, event.data, server));
  upstream.addEventListener("close", (event) => closeQuietly(server, event.code, event.reason));
  server.addEventListener("close", (event) => closeQuietly(upstream, event.code, event.reason));
  upstream.addEventListener("error", () => closeQuietly(server, CLOSE_INTERNAL_ERROR, "the job's event stream failed"));
  server.addEventListener("error", () => closeQuietly(upstream, CLOSE_NORMAL, "client went away"));
  return new Response(null, { status: 101, webSocket: client });
}

/**
 * SSE for clients that cannot use websockets: the worker holds one websocket to the Durable Object
 * and relays each message as an event whose id is its `seq`.
 */
export function relayAsSse(upstream: WebSocket): Response {
  const encoder = new TextEncoder();
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  let open = true;
  const finish = () => {
    if (!open) return;
    open = false;
    writer.close().catch(() => undefined);
  };
  upstream.accept();
  upstream.addEventListener("message", (event) => {
    if (typeof event.data !== "string" || !open) return;
    const data = JSON.parse(event.data) as { type: string; seq: number };
    writer.write(encoder.encode(`id: ${data.seq}\nevent: ${data.type}\ndata: ${event.data}\n\n`)).catch(() => {
      open = false;
      closeQuietly(upstream, CLOSE_NORMAL, "client went away");
    });
  });
  upstream.addEventListener("close", finish);
  upstream.addEventListener("error", finish);
  writer.write(encoder.encode(": watching\n\n")).catch(() => undefined);
  return new Response(readable, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
  });
}

function sendOrClose(to: WebSocket, data: string | ArrayBuffer, from: WebSocket) {
  try {
    to.send(data);
  } catch {
    // The other side is gone: end this one too.
    closeQuietly(from, CLOSE_NORMAL, "the other side went away");
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string) {
  try {
    ws.close(SENDABLE_CLOSE_CODE[code] ?? code, reason);
  } catch {
    // Already closed: nothing left to do.
  }
}
