import type { ComponentChildren } from "preact";
import { useCallback, useState } from "preact/hooks";

export interface ActionState {
  /** The name of the action running, if one is: its button says so and the others wait. */
  busy: string | undefined;
  error: Error | undefined;
  /** What the last action that succeeded did, for a status message. */
  notice: ComponentChildren | undefined;
  /** Runs `action`; what it resolves to (a sentence, a link) becomes the notice. */
  run: (name: string, action: () => Promise<ComponentChildren | void>) => void;
  clear: () => void;
}

/** One action at a time on a part of a page: whether it runs, what it did, why it failed. */
export function useAction(): ActionState {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<Error>();
  const [notice, setNotice] = useState<ComponentChildren>();
  const run = useCallback((name: string, action: () => Promise<ComponentChildren | void>) => {
    setBusy(name);
    setError(undefined);
    setNotice(undefined);
    action().then(
      (done) => {
        setBusy(undefined);
        if (done !== undefined && done !== null) setNotice(done);
      },
      (e: Error) => {
        setBusy(undefined);
        setError(e);
      },
    );
  }, []);
  const clear = useCallback(() => {
    setError(undefined);
    setNotice(undefined);
  }, []);
  return { busy, error, notice, run, clear };
}
