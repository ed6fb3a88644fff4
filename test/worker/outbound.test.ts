import { describe, expect, it } from "vitest";
import { addressRule, parseIPv6 } from "../../src/outbound/addresses";
import { MAX_STORED_BODY_BYTES, readCappedText, storableHeaders } from "../../src/outbound/fetch";
import { checkDestination } from "../../src/outbound/guard";
import { type OutboundEnv, outboundPolicy } from "../../src/outbound/policy";

/** The reason `checkDestination` refuses a URL with, or "allowed". */
async function verdict(url: string, env: Partial<OutboundEnv> = {}): Promise<string> {
  try {
    await checkDestination(outboundPolicy({ ENVIRONMENT: "development", ...env }), new URL(url));
    return "allowed";
  } catch (err) {
    return (err as Error).message.replace(/^outbound request refused: /, "");
  }
}

describe("addressRule", () => {
  it.each([
    ["0.0.0.0", "an unspecified address"],
    ["0.1.2.3", "a 'this network' address (0.0.0.0/8)"],
    ["10.255.255.255", "a private address (10.0.0.0/8)"],
    ["100.127.255.255", "a carrier-grade NAT address (100.64.0.0/10)"],
    ["127.255.0.1", "a loopback address"],
    ["169.254.0.1", "a link-local address"],
    ["172.31.255.255", "a private address (172.16.0.0/12)"],
    ["192.0.0.8", "a reserved address (IETF protocol assignments, 192.0.0.0/24)"],
    ["192.0.2.1", "a documentation address (192.0.2.0/24)"],
    ["192.88.99.1", "a reserved address (6to4 relay anycast, 192.88.99.0/24)"],
    ["192.168.255.1", "a private address (192.168.0.0/16)"],
    ["198.19.0.1", "a benchmarking address (198.18.0.0/15)"],
    ["239.255.255.250", "a multicast address"],
    ["255.255.255.255", "a broadcast address"],
    ["250.1.2.3", "a reserved address (240.0.0.0/4)"],
    ["::", "an unspecified address"],
    ["0:0:0:0:0:0:0:1", "a loopback address"],
    ["[::1]", "a loopback address"],
    ["::ffff:127.0.0.1", "an IPv4-mapped address of 127.0.0.1, a loopback address"],
    ["::ffff:7f00:1", "an IPv4-mapped address of 127.0.0.1, a loopback address"],
    ["0:0:0:0:0:FFFF:0A00:0001", "an IPv4-mapped address of 10.0.0.1, a private address (10.0.0.0/8)"],
    ["::ffff:0:192.168.1.1", "an IPv4-translated address of 192.168.1.1, a private address (192.168.0.0/16)"],
    ["64:ff9b::169.254.169.254", "a NAT64 address of 169.254.169.254, a link-local address"],
    ["64:ff9b:1::1", "a local-use NAT64 address (64:ff9b:1::/48)"],
    ["2002:0a00:0001::1", "a 6to4 address of 10.0.0.1, a private address (10.0.0.0/8)"],
    ["2002:c0a8:101::", "a 6to4 address of 192.168.1.1, a private address (192.168.0.0/16)"],
    ["::127.0.0.1", "a reserved address (outside 2000::/3)"],
    ["100::1", "a discard-only address (100::/64)"],
    ["fc00::1", "a unique local (private) address (fc00::/7)"],
    ["fdff:ffff::1", "a unique local (private) address (fc00::/7)"],
    ["fe80::1", "a link-local address"],
    ["febf::1", "a link-local address"],
    ["fec0::1", "a site-local address (fec0::/10)"],
    ["ff02::1", "a multicast address"],
    ["2001:0:4136:e378::1", "a Teredo tunnel address (2001::/32)"],
    ["2001:db8::1", "a documentation address (2001:db8::/32)"],
    ["8000::1", "a reserved address (outside 2000::/3)"],
  ])("%s is %s", (address, rule) => {
    expect(addressRule(address)).toBe(rule);
  });

  it.each(["1.1.1.1", "8.8.8.8", "100.128.0.1", "172.32.0.1", "192.169.0.1", "223.255.255.255", "2606:4700:4700::1111", "2a00:1450::1", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1"])(
    "%s is public",
    (address) => expect(addressRule(address)).toBeUndefined(),
  );

  it.each(["example.com", "1.2.3", "1.2.3.256", "::g", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::ffff:1.2.3.999"])("%s is not an IP address", (text) => {
    expect(addressRule(text)).toBeUndefined();
  });

  it("reads every IPv6 notation to the same number", () => {
    const loopback = 1n;
    for (const text of ["::1", "0::1", "0:0:0:0:0:0:0:1", "0000:0000:0000:0000:0000:0000:0000:0001", "::0.0.0.1"]) expect(parseIPv6(text)).toBe(loopback);
    expect(parseIPv6("::ffff:127.0.0.1")).toBe(parseIPv6("::ffff:7f00:1"));
    expect(parseIPv6("1:2:3:4:5:6:1.2.3.4")).toBe(parseIPv6("1:2:3:4:5:6:102:304"));
  });
});

describe("checkDestination", () => {
  it("refuses every spelling of loopback the URL parser accepts, by its canonical form", async () => {
    for (const host of ["127.1", "2130706433", "0x7f000001", "0x7f.1", "0177.1", "017700000001", "127.0.0.1.", "127.000.000.001"]) {
      expect(await verdict(`http://${host}:8080/`), host).toBe("127.0.0.1 is a loopback address");
    }
  });

  it("lets a public address or name through, and refuses other schemes", async () => {
    expect(await verdict("https://1.1.1.1/")).toBe("allowed");
    expect(await verdict("https://example.com/")).toBe("allowed");
    expect(await verdict("ftp://example.com/")).toBe("ftp: URLs are not allowed (only http and https)");
  });

  it("allows a listed host on any port, a listed host:port on that port only, in any spelling", async () => {
    const env = { OUTBOUND_ALLOW_HOSTS: "staging.internal, 127.0.0.1:8080 [::1]:9000" };
    expect(await verdict("http://staging.internal:1234/", env)).toBe("allowed");
    expect(await verdict("http://127.1:8080/", env)).toBe("allowed");
    expect(await verdict("http://[::1]:9000/", env)).toBe("allowed");
    expect(await verdict("http://127.0.0.1:8081/", env)).toBe("127.0.0.1 is a loopback address");
    expect(await verdict("http://[::1]/", env)).toBe("[::1] is a loopback address");
    expect(await verdict("http://other.internal/", env)).toBe("other.internal is a private network name (.internal)");
  });

  it("matches the default port of the scheme when a rule names one", async () => {
    const env = { OUTBOUND_ALLOW_HOSTS: "127.0.0.1:443" };
    expect(await verdict("https://127.0.0.1/", env)).toBe("allowed");
    expect(await verdict("http://127.0.0.1/", env)).toBe("127.0.0.1 is a loopback address");
  });

  it("refuses the denylist and the platform's hosts even when allowed; *. covers names under a domain", async () => {
    const env = { OUTBOUND_DENY_HOSTS: "*.corp.example evil.example", PLATFORM_HOSTS: "jobs.example.com", OUTBOUND_ALLOW_HOSTS: "jobs.example.com,evil.example,a.corp.example" };
    expect(await verdict("https://a.corp.example/", env)).toBe("a.corp.example is on the operator's denylist (OUTBOUND_DENY_HOSTS)");
    expect(await verdict("https://corp.example/", env)).toBe("allowed");
    expect(await verdict("https://EVIL.example./", env)).toBe("evil.example is on the operator's denylist (OUTBOUND_DENY_HOSTS)");
    expect(await verdict("https://jobs.example.com/api/v1/jobs", env)).toBe("jobs.example.com is the platform's own host (PLATFORM_HOSTS)");
  });

  it("refuses local names", async () => {
    expect(await verdict("http://localhost/")).toBe("localhost is a loopback name");
    expect(await verdict("http://a.b.localhost/")).toBe("a.b.localhost is a loopback name");
    expect(await verdict("http://localhost.localdomain/")).toBe("localhost.localdomain is a local name (.localdomain)");
    expect(await verdict("http://printer.local/")).toBe("printer.local is a local network name (.local, mDNS)");
    expect(await verdict("http://router.home.arpa/")).toBe("router.home.arpa is a home network name (.home.arpa)");
    expect(await verdict("http://redis:6379/")).toBe("redis is a single-label name (not a public DNS name)");
  });

  it("fails closed in production without a DNS resolver: names are refused, public IP addresses need none", async () => {
    const production = { ENVIRONMENT: "production", OUTBOUND_DNS_RESOLVER: "" };
    expect(await verdict("https://example.com/", production)).toBe(
      "example.com cannot be checked: no DNS resolver is configured (OUTBOUND_DNS_RESOLVER), and production requires one",
    );
    expect(await verdict("https://1.1.1.1/", production)).toBe("allowed");
  });

  it("refuses to read a list with an entry that is not a host", () => {
    expect(() => outboundPolicy({ ENVIRONMENT: "development", OUTBOUND_DENY_HOSTS: "good.example, http://bad/" })).toThrow(
      'OUTBOUND_DENY_HOSTS has an entry that is not a host or host:port: "http://bad/"',
    );
  });
});

describe("what is stored of a response", () => {
  it("never more than 1 MiB of the body, whatever the caller asks for", async () => {
    const body = "y".repeat(MAX_STORED_BODY_BYTES + 10);
    const read = await readCappedText(new Response(body), 5 * MAX_STORED_BODY_BYTES);
    expect(read.truncated).toBe(true);
    expect(read.text).toHaveLength(MAX_STORED_BODY_BYTES);
    expect(await readCappedText(new Response("exact"), 5)).toEqual({ text: "exact", truncated: false });
    expect(await readCappedText(new Response("exact!"), 5)).toEqual({ text: "exact", truncated: true });
  });

  it("no set-cookie or set-cookie2 header", () => {
    const headers = new Headers([["Set-Cookie", "a=1"], ["set-cookie", "b=2"], ["Set-Cookie2", "c=3"], ["content-type", "text/plain"]]);
    expect(storableHeaders(headers)).toEqual({ "content-type": "text/plain" });
  });
});
