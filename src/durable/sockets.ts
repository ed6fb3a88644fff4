/** What both live-feed objects (job-events.ts, tenant-feed.ts) do with their hibernatable sockets. */

export const CLOSE_NORMAL = 1000;

/** Sends, or drops the message with a warning when the socket has closed meanwhile. */
export function send(ws: WebSocket, text: string) {
  try {
    ws.send(text);
  } catch (err) {
    console.warn("dropping a message for a closed socket", err);
  }
}

/** Subscribers keep idle connections alive with "ping". */
export function answerPing(ws: WebSocket, message: string | ArrayBuffer) {
  if (message === "ping") send(ws, "pong");
}

/** Completes a close the other side began (1005, "no status", cannot be sent back: it becomes 1000). */
export function completeClose(ws: WebSocket, code: number, reason: string) {
  try {
    ws.close(code === 1005 ? CLOSE_NORMAL : code, reason);
  } catch {
    // Already closed from this side: nothing left to do.
  }
}
