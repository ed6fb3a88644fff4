import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { onUnauthorized, sessions } from "./api";
import { ErrorMessage } from "./components/common";
import { Layout } from "./components/layout";
import { html } from "./html";
import { restartFeed } from "./live";
import { NotFoundPage } from "./pages/not-found";
import { SignInPage } from "./pages/sign-in";
import { findRoute } from "./routes";
import { useLocation } from "./router";
import { type Scope, SessionContext, type SessionContextValue, hasScope } from "./session";
import type { Session } from "./types";

type State =
  | { kind: "loading" }
  | { kind: "signed-out"; notice?: string }
  | { kind: "signed-in"; session: Session }
  | { kind: "failed"; error: Error };

/** Asks the server for the session the cookie holds, if any. */
function useSessionState() {
  const [state, setState] = useState<State>({ kind: "loading" });
  const load = useCallback(() => {
    setState({ kind: "loading" });
    sessions.current().then(
      (session) => setState({ kind: "signed-in", session }),
      (error: Error & { status?: number }) =>
        setState(error.status === 401 || error.status === 404 ? { kind: "signed-out" } : { kind: "failed", error }),
    );
  }, []);
  useEffect(load, []);
  useEffect(
    () => onUnauthorized(() => setState({ kind: "signed-out", notice: "Your session has ended: sign in again." })),
    [],
  );
  // A page that only listens to sockets makes no request that would learn of the expiry.
  const expiresAt = state.kind === "signed-in" ? Date.parse(state.session.expiresAt) : Number.NaN;
  useEffect(() => {
    if (Number.isNaN(expiresAt)) return;
    const timer = setTimeout(() => setState({ kind: "signed-out", notice: "Your session has expired: sign in again." }), Math.max(0, expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [expiresAt]);
  return { state, setState, load };
}

function Pages({ session }: { session: Session }) {
  const { path, query } = useLocation();
  const found = findRoute(path);
  const Page = found?.route.page ?? NotFoundPage;
  return html`
    <${Layout} path=${path} title=${found?.route.title ?? "Not found"}>
      <${Page} key=${`${session.tenant} ${found?.route.path ?? path}`} params=${found?.params ?? {}} query=${query} />
    </${Layout}>
  `;
}

export function App() {
  const { state, setState, load } = useSessionState();
  const signedIn = state.kind === "signed-in" ? state.session : undefined;
  const context = useMemo<SessionContextValue | undefined>(() => {
    if (!signedIn) return undefined;
    return {
      session: signedIn,
      can: (scope: Scope) => hasScope(signedIn, scope),
      switchTenant: async (tenant: string) => {
        const session = await sessions.switchTenant(tenant);
        setState({ kind: "signed-in", session });
        restartFeed();
      },
      signOut: async () => {
        await sessions.signOut();
        setState({ kind: "signed-out", notice: "You have signed out." });
      },
    };
  }, [signedIn]);

  if (state.kind === "loading") return html`<p class="boot" role="status">Loading the dashboard…</p>`;
  if (state.kind === "failed") {
    return html`<main class="sign-in" id="main">
      <h1>Edge Jobs</h1>
      <${ErrorMessage} error=${state.error} prefix="The session could not be read" />
      <button type="button" onClick=${load}>Try again</button>
    </main>`;
  }
  if (state.kind === "signed-out" || !context) {
    return html`<${SignInPage}
      notice=${state.kind === "signed-out" ? state.notice : undefined}
      onSignedIn=${(session: Session) => setState({ kind: "signed-in", session })}
    />`;
  }
  return html`<${SessionContext.Provider} value=${context}><${Pages} session=${context.session} /></${SessionContext.Provider}>`;
}
