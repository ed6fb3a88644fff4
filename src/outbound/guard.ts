import { NonRetryableError } from "../engine/errors";
import { addressRule, isIpLiteral } from "./addresses";
import { type OutboundPolicy, effectivePort, matchesHost, normalHost } from "./policy";
import { resolveName } from "./resolve";

/**
 * A destination an outbound request may not reach. A `NonRetryableError` (by name too), so the
 * job fails at once: no retry makes a refused address allowed.
 */
export class OutboundRefusedError extends NonRetryableError {
  constructor(reason: string) {
    super(`outbound request refused: ${reason}`);
  }
}

/** Names that only mean something on the local machine or network, never on public DNS. */
const LOCAL_SUFFIXES: [suffix: string, rule: string][] = [
  ["localhost", "a loopback name"],
  ["localdomain", "a local name (.localdomain)"],
  ["local", "a local network name (.local, mDNS)"],
  ["internal", "a private network name (.internal)"],
  ["home.arpa", "a home network name (.home.arpa)"],
];

/** Why the operator's lists refuse a host; undefined if they do not. */
function listedRule(policy: OutboundPolicy, host: string, port: string): string | undefined {
  if (policy.deny.some((rule) => matchesHost(rule, host, port))) return "on the operator's denylist (OUTBOUND_DENY_HOSTS)";
  if (policy.platform.some((rule) => matchesHost(rule, host, port))) return "the platform's own host (PLATFORM_HOSTS)";
  return undefined;
}

/** Why a domain name (not an IP address) can only mean something local; undefined for a public-looking name. */
function localNameRule(name: string): string | undefined {
  const local = LOCAL_SUFFIXES.find(([suffix]) => name === suffix || name.endsWith(`.${suffix}`));
  if (local) return local[1];
  if (!name.includes(".")) return "a single-label name (not a public DNS name)";
  return undefined;
}

async function checkResolvedName(policy: OutboundPolicy, host: string, port: string, signal?: AbortSignal): Promise<void> {
  if (!policy.resolver) {
    if (policy.production) throw new OutboundRefusedError(`${host} cannot be checked: no DNS resolver is configured (OUTBOUND_DNS_RESOLVER), and production requires one`);
    return;
  }
  const { addresses, aliases } = await resolveName(policy.resolver, host, signal);
  for (const alias of aliases) {
    const rule = listedRule(policy, alias, port) ?? localNameRule(alias);
    if (rule) throw new OutboundRefusedError(`${host} is an alias of ${alias}, ${rule}`);
  }
  if (addresses.length === 0) throw new OutboundRefusedError(`${host} has no address in DNS (checked through OUTBOUND_DNS_RESOLVER)`);
  for (const address of addresses) {
    const rule = addressRule(address);
    if (rule) throw new OutboundRefusedError(`${host} resolves to ${address}, ${rule}`);
  }
}

/**
 * Refuses a URL an outbound request may not reach (`OutboundRefusedError`), in this order: a
 * scheme other than http(s); the operator's denylist; the platform's own hosts; then, unless the
 * operator allowed the host, local names, internal IP addresses, and names whose DNS answer holds
 * an internal address or a refused alias.
 *
 * The DNS answer is checked, not pinned: a name that answers differently to the fetch a moment
 * later (DNS rebinding) gets past this check. On Cloudflare's network the edge itself refuses
 * private destinations; elsewhere (`wrangler dev`, self-hosted workerd) that gap remains.
 */
export async function checkDestination(policy: OutboundPolicy, url: URL, signal?: AbortSignal): Promise<void> {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new OutboundRefusedError(`${url.protocol} URLs are not allowed (only http and https)`);
  const host = normalHost(url.hostname);
  const port = effectivePort(url);
  const listed = listedRule(policy, host, port);
  if (listed) throw new OutboundRefusedError(`${host} is ${listed}`);
  if (policy.allow.some((rule) => matchesHost(rule, host, port))) return;
  if (isIpLiteral(host)) {
    const rule = addressRule(host);
    if (rule) throw new OutboundRefusedError(`${host} is ${rule}`);
    return;
  }
  const local = localNameRule(host);
  if (local) throw new OutboundRefusedError(`${host} is ${local}`);
  await checkResolvedName(policy, host, port, signal);
}
