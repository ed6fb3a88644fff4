import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { subscribeFeed } from "./live";
import type { FeedEvent } from "./types";

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Loads again, keeping what is shown until the answer arrives. */
  reload: () => void;
  /** Changes what is shown (a live event) without loading. */
  update: (change: (data: T) => T) => void;
}

/** Loads `load()` when `deps` change; answers that arrive after a newer request are dropped. */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    loader.current().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: Error) => mine === generation.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, []);
  useEffect(() => {
    setState({ loading: true });
    reload();
  }, deps);
  const update = useCallback((change: (data: T) => T) => {
    setState((s) => (s.data === undefined ? s : { ...s, data: change(s.data) }));
  }, []);
  return { data: state.data, error: state.error, loading: state.loading, reload, update };
}

/**
 * `run` at most once per `ms`: the first call runs at once, calls within the next `ms` are folded
 * into one run at its end. For refetches triggered by live events, which can arrive many a second.
 */
export function useThrottle(run: () => void, ms: number): () => void {
  const runner = useRef(run);
  runner.current = run;
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    const wait = last.current + ms - Date.now();
    const fire = () => {
      timer.current = undefined;
      last.current = Date.now();
      runner.current();
    };
    if (wait <= 0) fire();
    else timer.current = setTimeout(fire, wait);
  }, [ms]);
}

/** Listens to the tenant feed while the component is mounted. */
export function useFeed(listener: (event: FeedEvent) => void): void {
  const current = useRef(listener);
  current.current = listener;
  useEffect(() => subscribeFeed((event) => current.current(event)), []);
}

/** A value that follows `value` once it has stopped changing for `ms` (for search boxes). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
