import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Session } from "./types";

/** Scopes that write actions need; `admin` holds every scope, as the API's requireScope says. */
export type Scope = "jobs:read" | "jobs:write" | "reports:read" | "reports:write" | "admin";

export function hasScope(session: Session, scope: Scope): boolean {
  return session.scopes.includes("admin") || session.scopes.includes(scope);
}

export interface SessionContextValue {
  session: Session;
  can: (scope: Scope) => boolean;
  switchTenant: (tenant: string) => Promise<void>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | undefined>(undefined);

/** The signed-in session; pages only render inside one. */
export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside a signed-in layout");
  return value;
}
