import { z } from "@hono/zod-openapi";

/** How long one DNS-over-HTTPS lookup may take before the check gives up (and the request is not sent). */
const LOOKUP_TIMEOUT_MS = 5_000;

const RECORD_TYPES = { A: 1, AAAA: 28, CNAME: 5 } as const;
const NOERROR = 0;
const NXDOMAIN = 3;

/** The JSON answer format of DNS-over-HTTPS resolvers (Cloudflare, Google): `application/dns-json`. */
const DnsJsonAnswer = z.object({
  Status: z.number(),
  Answer: z.array(z.object({ type: z.number(), data: z.string() })).optional(),
});

export interface Resolution {
  /** Every A and AAAA address, canonical (`127.0.0.1`, `::1`). Empty: the name has none. */
  addresses: string[];
  /** Every CNAME target on the way, without the trailing dot. */
  aliases: string[];
}

/** The resolver could not answer: the check fails closed, and the request is not sent (a retry may succeed). */
export class DnsCheckError extends Error {
  override name = "DnsCheckError";
}

function canonicalAddress(data: string, type: number): string {
  const hostname = new URL(type === RECORD_TYPES.AAAA ? `http://[${data}]/` : `http://${data}/`).hostname;
  return hostname.replace(/^\[(.*)\]$/, "$1");
}

async function lookup(resolver: string, name: string, type: "A" | "AAAA", signal?: AbortSignal): Promise<Resolution> {
  const query = new URL(resolver);
  query.searchParams.set("name", name);
  query.searchParams.set("type", type);
  const timeout = AbortSignal.timeout(LOOKUP_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(query, { headers: { accept: "application/dns-json" }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (err) {
    throw new DnsCheckError(`the DNS check could not resolve ${name} (${type}): ${(err as Error).message}`);
  }
  const parsed = DnsJsonAnswer.safeParse(await response.json().catch(() => undefined));
  if (!response.ok || !parsed.success) throw new DnsCheckError(`the DNS check could not resolve ${name} (${type}): the resolver answered ${response.status} without a DNS answer`);
  const { Status, Answer = [] } = parsed.data;
  if (Status !== NOERROR && Status !== NXDOMAIN) throw new DnsCheckError(`the DNS check could not resolve ${name} (${type}): DNS status ${Status}`);
  try {
    return {
      addresses: Answer.filter((r) => r.type === RECORD_TYPES[type]).map((r) => canonicalAddress(r.data, r.type)),
      aliases: Answer.filter((r) => r.type === RECORD_TYPES.CNAME).map((r) => r.data.toLowerCase().replace(/\.+$/, "")),
    };
  } catch {
    throw new DnsCheckError(`the DNS check could not resolve ${name} (${type}): the resolver answered an address that does not parse`);
  }
}

/** A name's IPv4 and IPv6 addresses and aliases, through a DNS-over-HTTPS resolver's JSON API. */
export async function resolveName(resolver: string, name: string, signal?: AbortSignal): Promise<Resolution> {
  const answers = await Promise.all([lookup(resolver, name, "A", signal), lookup(resolver, name, "AAAA", signal)]);
  return {
    addresses: answers.flatMap((a) => a.addresses),
    aliases: [...new Set(answers.flatMap((a) => a.aliases))],
  };
}
