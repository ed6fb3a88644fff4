// Pushed events: the tenant-wide feed that list and overview pages share, and one socket per watched
// job. Both reconnect with backoff when the server or the network drops them, and close while the tab
// is hidden (a hidden tab needs no updates; it catches up when shown again).
import { socketUrl } from "./api";
import type { FeedEvent, JobEvent } from "./types";

const MAX_BACKOFF_MS = 30_000;

/** Reconnect delay after `failures` failed tries: exponential with jitter, so tabs do not reconnect in step. */
export function backoffMs(failures: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** failures);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** "idle": nothing listens, so no socket is wanted (the tenant feed between pages that use it). */
export type LinkState = "idle" | "connecting" | "open" | "closed";

interface SocketOptions {
  url: () => string;
  onMessage: (data: unknown) => void;
  /** Whether to reconnect after the server closed the socket (a finished job's stream is not reopened). */
  reopen: () => boolean;
  onState?: (state: LinkState, reconnected: boolean) => void;
}

/** A websocket that reconnects and sleeps while the tab is hidden; `close()` stops it for good. */
export function liveSocket(options: SocketOptions): { close(): void } {
  let socket: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let opened = false;
  let stopped = false;

  const connect = () => {
    timer = undefined;
    if (stopped || socket || document.visibilityState === "hidden") return;
    options.onState?.("connecting", false);
    const ws = new WebSocket(options.url());
    socket = ws;
    ws.onopen = () => {
      failures = 0;
      options.onState?.("open", opened);
      opened = true;
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") return;
      try {
        options.onMessage(JSON.parse(event.data));
      } catch (error) {
        console.error("dashboard: unreadable live event", error);
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      options.onState?.("closed", false);
      if (!stopped && options.reopen()) timer = setTimeout(connect, backoffMs(failures++));
    };
  };
  const drop = () => {
    clearTimeout(timer);
    timer = undefined;
    const ws = socket;
    socket = undefined;
    ws?.close(1000);
  };
  const onVisibility = () => {
    if (document.visibilityState === "hidden") drop();
    else if (!socket && !timer && options.reopen()) connect();
  };
  document.addEventListener("visibilitychange", onVisibility);
  connect();
  return {
    close() {
      stopped = true;
      document.removeEventListener("visibilitychange", onVisibility);
      drop();
    },
  };
}

// The tenant feed: one socket however many components listen, open while any does.
const feedListeners = new Set<(event: FeedEvent) => void>();
const stateListeners = new Set<(state: LinkState) => void>();
let feed: { close(): void } | undefined;
let feedState: LinkState = "idle";

function setFeedState(state: LinkState, reconnected: boolean) {
  feedState = state;
  for (const listener of stateListeners) listener(state);
  // Events sent while the socket was down were missed: every listener refetches, as on a reset.
  if (state === "open" && reconnected) for (const listener of feedListeners) listener({ type: "reset" });
}

function openFeed() {
  feed = liveSocket({
    url: () => socketUrl("/events"),
    onMessage: (data) => {
      for (const listener of feedListeners) listener(data as FeedEvent);
    },
    reopen: () => feedListeners.size > 0,
    onState: setFeedState,
  });
}

/** Listens to the tenant feed; the returned function stops listening. */
export function subscribeFeed(listener: (event: FeedEvent) => void): () => void {
  feedListeners.add(listener);
  if (!feed) openFeed();
  return () => {
    feedListeners.delete(listener);
    if (feedListeners.size === 0) {
      feed?.close();
      feed = undefined;
      setFeedState("idle", false);
    }
  };
}

/** Reconnects the feed: after a tenant switch the cookie names another tenant. */
export function restartFeed(): void {
  if (!feed) return;
  feed.close();
  openFeed();
}

export function watchFeedState(listener: (state: LinkState) => void): () => void {
  stateListeners.add(listener);
  listener(feedState);
  return () => stateListeners.delete(listener);
}

/**
 * Watches one job: a snapshot first, then its progress and status events. A dropped socket resumes
 * after the last event seen (`?after=`); the server closes the stream after a final status.
 */
export function watchJob(jobId: string, onEvent: (event: JobEvent) => void, onState?: (state: LinkState) => void): () => void {
  let lastSeq: number | undefined;
  let finished = false;
  const socket = liveSocket({
    url: () => socketUrl(`/jobs/${encodeURIComponent(jobId)}/events`, { after: lastSeq }),
    onMessage: (data) => {
      const event = data as JobEvent;
      if (typeof event.seq === "number") lastSeq = Math.max(lastSeq ?? 0, event.seq);
      if (event.type === "status" && ["completed", "failed", "cancelled"].includes(event.status)) finished = true;
      if (event.type === "snapshot" && ["completed", "failed", "cancelled"].includes(event.job.status)) finished = true;
      onEvent(event);
    },
    reopen: () => !finished,
    onState: (state) => onState?.(state),
  });
  return () => socket.close();
}
