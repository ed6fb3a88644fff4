/**
 * Which IP addresses an outbound request may not reach, with the rule that says why. Addresses
 * come here canonical: hostnames through the WHATWG URL parser (which turns `127.1`, `2130706433`,
 * `0x7f.1`, `0177.0.0.1` into `127.0.0.1` and `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`), DNS
 * answers through `canonicalAddress`. Everything not listed is a public address.
 */

interface Range<T> {
  prefix: T;
  bits: number;
  rule: string;
}

const v4 = (text: string, bits: number, rule: string): Range<number> => ({ prefix: parseIPv4(text)!, bits, rule });
const v6 = (text: string, bits: number, rule: string): Range<bigint> => ({ prefix: parseIPv6(text)!, bits, rule });

/** The IANA special-purpose IPv4 registry, checked in order (the first range that holds names the rule). */
const IPV4_RANGES: Range<number>[] = [
  v4("0.0.0.0", 32, "an unspecified address"),
  v4("0.0.0.0", 8, "a 'this network' address (0.0.0.0/8)"),
  v4("10.0.0.0", 8, "a private address (10.0.0.0/8)"),
  v4("100.64.0.0", 10, "a carrier-grade NAT address (100.64.0.0/10)"),
  v4("127.0.0.0", 8, "a loopback address"),
  v4("169.254.0.0", 16, "a link-local address"),
  v4("172.16.0.0", 12, "a private address (172.16.0.0/12)"),
  v4("192.0.0.0", 24, "a reserved address (IETF protocol assignments, 192.0.0.0/24)"),
  v4("192.0.2.0", 24, "a documentation address (192.0.2.0/24)"),
  v4("192.88.99.0", 24, "a reserved address (6to4 relay anycast, 192.88.99.0/24)"),
  v4("192.168.0.0", 16, "a private address (192.168.0.0/16)"),
  v4("198.18.0.0", 15, "a benchmarking address (198.18.0.0/15)"),
  v4("198.51.100.0", 24, "a documentation address (198.51.100.0/24)"),
  v4("203.0.113.0", 24, "a documentation address (203.0.113.0/24)"),
  v4("224.0.0.0", 4, "a multicast address"),
  v4("255.255.255.255", 32, "a broadcast address"),
  v4("240.0.0.0", 4, "a reserved address (240.0.0.0/4)"),
];

/** IPv6 forms that carry an IPv4 address: judged by the address they carry. */
const IPV6_EMBEDDINGS: (Range<bigint> & { shift: number })[] = [
  { ...v6("::ffff:0:0", 96, "an IPv4-mapped address"), shift: 0 },
  { ...v6("::ffff:0:0:0", 96, "an IPv4-translated address"), shift: 0 },
  { ...v6("64:ff9b::", 96, "a NAT64 address"), shift: 0 },
  { ...v6("2002::", 16, "a 6to4 address"), shift: 80 },
];

/** Checked in order, after the embeddings; the first that holds names the rule. */
const IPV6_RANGES: Range<bigint>[] = [
  v6("::", 128, "an unspecified address"),
  v6("::1", 128, "a loopback address"),
  v6("64:ff9b:1::", 48, "a local-use NAT64 address (64:ff9b:1::/48)"),
  v6("100::", 64, "a discard-only address (100::/64)"),
  v6("fc00::", 7, "a unique local (private) address (fc00::/7)"),
  v6("fe80::", 10, "a link-local address"),
  v6("fec0::", 10, "a site-local address (fec0::/10)"),
  v6("ff00::", 8, "a multicast address"),
  v6("2001::", 32, "a Teredo tunnel address (2001::/32)"),
  v6("2001:2::", 48, "a benchmarking address (2001:2::/48)"),
  v6("2001:db8::", 32, "a documentation address (2001:db8::/32)"),
  v6("3fff::", 20, "a documentation address (3fff::/20)"),
];

/** Only global unicast space (2000::/3) is public; the rest of IPv6 is reserved or special. */
const IPV6_GLOBAL_UNICAST = v6("2000::", 3, "");

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or undefined. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** An IPv6 address (with `::` and a trailing dotted quad allowed, no brackets or zone) as a 128-bit number. */
export function parseIPv6(text: string): bigint | undefined {
  // A trailing dotted quad (`::ffff:127.0.0.1`) is the last two groups written another way.
  const dotted = /(^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let body = text;
  if (dotted) {
    const ipv4 = parseIPv4(dotted[2]!);
    if (ipv4 === undefined) return undefined;
    body = `${text.slice(0, dotted.index + dotted[1]!.length)}${(ipv4 >>> 16).toString(16)}:${(ipv4 & 0xffff).toString(16)}`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groupsOf(halves[0]!);
  const tail = groupsOf(halves[1] ?? "");
  if (![...head, ...tail].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const zeros = Array<string>(halves.length === 2 ? missing : 0).fill("0");
  return [...head, ...zeros, ...tail].reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function inRange<T extends number | bigint>(value: T, range: Range<T>, width: number): boolean {
  if (typeof value === "bigint") {
    const shift = BigInt(width - range.bits);
    return value >> shift === (range.prefix as bigint) >> shift;
  }
  const shift = width - range.bits;
  // Division instead of >>> keeps a shift of 32 (a /0 range) correct.
  return Math.floor((value as number) / 2 ** shift) === Math.floor((range.prefix as number) / 2 ** shift);
}

function ipv4Rule(value: number): string | undefined {
  return IPV4_RANGES.find((range) => inRange(value, range, 32))?.rule;
}

function ipv6Rule(value: bigint): string | undefined {
  const embedding = IPV6_EMBEDDINGS.find((range) => inRange(value, range, 128));
  if (embedding) {
    const ipv4 = Number((value >> BigInt(embedding.shift)) & 0xffffffffn);
    const rule = ipv4Rule(ipv4);
    return rule && `${embedding.rule} of ${formatIPv4(ipv4)}, ${rule}`;
  }
  const special = IPV6_RANGES.find((range) => inRange(value, range, 128));
  if (special) return special.rule;
  return inRange(value, IPV6_GLOBAL_UNICAST, 128) ? undefined : "a reserved address (outside 2000::/3)";
}

/**
 * Why an IP address may not be reached (e.g. "a loopback address"), undefined for a public one or
 * for something that is not an IP address (a domain name). Takes `127.0.0.1`, `::1` or `[::1]`.
 */
export function addressRule(address: string): string | undefined {
  const ipv4 = parseIPv4(address);
  if (ipv4 !== undefined) return ipv4Rule(ipv4);
  const ipv6 = parseIPv6(address.replace(/^\[(.*)\]$/, "$1"));
  return ipv6 === undefined ? undefined : ipv6Rule(ipv6);
}

/** Whether a URL hostname is an IP address (IPv6 in brackets, as the URL parser writes it). */
export function isIpLiteral(hostname: string): boolean {
  return parseIPv4(hostname) !== undefined || (hostname.startsWith("[") && parseIPv6(hostname.slice(1, -1)) !== undefined);
}
