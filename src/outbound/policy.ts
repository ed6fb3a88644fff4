/**
 * What the operator configured for outbound requests, read from the Worker's vars on each use (no
 * state is kept between requests). Host lists are comma or whitespace separated; an entry is a
 * host (any port) or host:port (IPv6 in brackets), and `*.example.com` stands for every name
 * under example.com.
 */

export interface HostRule {
  /** Lowercase, without a trailing dot; IP addresses as the URL parser writes them. */
  host: string;
  /** Set: only this port (the scheme's default when the URL names none). */
  port?: string;
  /** `*.example.com`: every name under `host`, not `host` itself. */
  subdomains: boolean;
}

export interface OutboundPolicy {
  /** Named hosts let through whatever their address (a tenant's staging service, test listeners). */
  allow: HostRule[];
  /** Names the operator refuses. */
  deny: HostRule[];
  /** The platform's own hosts: a job must not call the platform's API. */
  platform: HostRule[];
  /** DNS-over-HTTPS (JSON) endpoint that names are resolved through before a request; undefined: no DNS check. */
  resolver?: string;
  production: boolean;
}

export type OutboundEnv = Pick<Env, "ENVIRONMENT"> &
  Partial<Record<"OUTBOUND_ALLOW_HOSTS" | "OUTBOUND_DENY_HOSTS" | "PLATFORM_HOSTS" | "OUTBOUND_DNS_RESOLVER", string>>;

/** A hostname as rules compare it: lowercase, no trailing dot. */
export function normalHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.+$/, "");
}

function parseHostRule(entry: string, variable: string): HostRule {
  const subdomains = entry.startsWith("*.");
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(subdomains ? entry.slice(2) : entry);
  let host: string | undefined;
  try {
    host = match?.[1] ? new URL(`http://${match[1]}/`).hostname : undefined;
  } catch {
    host = undefined;
  }
  // A bad entry is a configuration error: failing loudly beats a denylist that silently denies nothing.
  if (!host) throw new Error(`${variable} has an entry that is not a host or host:port: "${entry}"`);
  return { host: normalHost(host), port: match![2], subdomains };
}

function hostRules(value: string | undefined, variable: string): HostRule[] {
  return (value ?? "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => parseHostRule(entry, variable));
}

export function outboundPolicy(env: OutboundEnv): OutboundPolicy {
  const resolver = env.OUTBOUND_DNS_RESOLVER?.trim();
  return {
    allow: hostRules(env.OUTBOUND_ALLOW_HOSTS, "OUTBOUND_ALLOW_HOSTS"),
    deny: hostRules(env.OUTBOUND_DENY_HOSTS, "OUTBOUND_DENY_HOSTS"),
    platform: hostRules(env.PLATFORM_HOSTS, "PLATFORM_HOSTS"),
    resolver: resolver || undefined,
    production: env.ENVIRONMENT === "production",
  };
}

export function effectivePort(url: URL): string {
  return url.port || (url.protocol === "https:" ? "443" : "80");
}

/** Whether a rule covers a host on a port (any port, when the rule names none). */
export function matchesHost(rule: HostRule, host: string, port: string): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  return rule.subdomains ? host.endsWith(`.${rule.host}`) : host === rule.host;
}
