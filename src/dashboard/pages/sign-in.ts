import { useEffect, useId, useRef, useState } from "preact/hooks";
import { sessions } from "../api";
import { html } from "../html";
import type { Session } from "../types";

interface SignInProps {
  onSignedIn: (session: Session) => void;
  /** Why the page is shown, e.g. "Your session has ended". */
  notice?: string;
}

/** Trades an API key for a session cookie; the key itself is kept nowhere in the browser. */
export function SignInPage({ onSignedIn, notice }: SignInProps) {
  const [apiKey, setApiKey] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => {
    document.title = "Sign in · Edge Jobs";
    input.current?.focus();
  }, []);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    sessions.signIn(apiKey.trim()).then(
      (session) => {
        setApiKey("");
        onSignedIn(session);
      },
      (e: Error) => {
        setError(e.message);
        setBusy(false);
        input.current?.focus();
      },
    );
  };
  return html`
    <main class="sign-in" id="main">
      <h1>Edge Jobs</h1>
      <form class="card" onSubmit=${onSubmit} aria-describedby=${error ? `${id}-error` : undefined}>
        <h2>Sign in</h2>
        ${notice ? html`<p class="message message-info" role="status">${notice}</p>` : null}
        <label for=${`${id}-key`}>API key</label>
        <input
          id=${`${id}-key`}
          ref=${input}
          type="password"
          name="apiKey"
          autocomplete="off"
          spellcheck="false"
          required
          value=${apiKey}
          onInput=${(e: Event) => setApiKey((e.currentTarget as HTMLInputElement).value)}
          aria-invalid=${error ? "true" : undefined}
          aria-describedby=${error ? `${id}-error` : `${id}-hint`}
        />
        <p id=${`${id}-hint`} class="hint">A key of your tenant (ejk_…). It is sent once to open a session and not stored.</p>
        ${error ? html`<p id=${`${id}-error`} class="message message-error" role="alert">${error}</p>` : null}
        <button type="submit" class="button-primary" disabled=${busy} aria-busy=${busy}>Sign in</button>
      </form>
    </main>
  `;
}
