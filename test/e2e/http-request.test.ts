import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "./dev-server";

let platform: DevServer;
const servers: Server[] = [];
/** Allowed by the platform's configuration (OUTBOUND_ALLOW_HOSTS), as a tenant's staging service would be. */
let targetUrl: string;
/** A second allowed origin, for redirects that cross origins. */
let otherUrl: string;
/** Not allowed: an internal service holding a secret, which no job may reach. */
let secretPort: number;
const hits = new Map<string, number[]>();
const secretHits: string[] = [];
const dnsQueries: string[] = [];

/** What the operator's DNS-over-HTTPS resolver (a local listener here) answers, by name and type. */
const DNS: Record<string, { Status: number; Answer?: { type: number; data: string }[] }> = {
  "127.0.0.1.nip.io A": { Status: 0, Answer: [{ type: 1, data: "127.0.0.1" }] },
  "127.0.0.1.nip.io AAAA": { Status: 0 },
  "v6-loopback.example AAAA": { Status: 0, Answer: [{ type: 28, data: "0:0:0:0:0:0:0:1" }] },
  "v6-loopback.example A": { Status: 0, Answer: [{ type: 1, data: "93.184.215.14" }] },
  "metadata.example A": { Status: 0, Answer: [{ type: 5, data: "metadata.example.net." }, { type: 1, data: "169.254.169.254" }] },
  "metadata.example AAAA": { Status: 0, Answer: [{ type: 5, data: "metadata.example.net." }] },
  "alias.example A": { Status: 0, Answer: [{ type: 5, data: "printer.local." }, { type: 1, data: "93.184.215.14" }] },
  "alias.example AAAA": { Status: 0, Answer: [{ type: 5, data: "printer.local." }] },
  "public.example A": { Status: 0, Answer: [{ type: 1, data: "93.184.215.14" }] },
  "public.example AAAA": { Status: 0 },
  "servfail.example A": { Status: 2 },
  "servfail.example AAAA": { Status: 2 },
};

async function call(path: string, body?: unknown) {
  const res = await fetch(`${platform.url}/api/v1${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${E2E_ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function finished(id: string) {
  for (;;) {
    const job = await call(`/jobs/${id}`);
    if (["completed", "failed", "cancelled"].includes(job.body.status)) return job.body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function request(input: Record<string, unknown>, options: Record<string, unknown> = {}) {
  const job = await call("/jobs", { type: "http.request", input, ...options });
  expect(job.status, JSON.stringify(job.body)).toBe(202);
  return finished(job.body.id);
}

function refusal(reason: string) {
  return { status: "failed", attempts: 1, result: null, error: { name: "NonRetryableError", retryable: false, message: `outbound request refused: ${reason}` } };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => resolve(body));
  });
}

/** The allowed services: echo, redirects (to anywhere, and chains), cookies and large bodies. */
async function target(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://target");
  const path = url.pathname;
  const seen = [...(hits.get(path) ?? []), Date.now()];
  hits.set(path, seen);
  const body = await readBody(req);
  if (path.startsWith("/flaky") && seen.length === 1) res.writeHead(503, { "retry-after": "2" }).end("busy");
  else if (path.startsWith("/limited") && seen.length === 1) res.writeHead(429).end("slow down");
  else if (path.startsWith("/missing")) res.writeHead(404).end("no such thing");
  else if (path === "/redirect") res.writeHead(Number(url.searchParams.get("status") ?? 302), { location: url.searchParams.get("to")! }).end();
  else if (path.startsWith("/chain/")) {
    const left = Number(path.slice("/chain/".length));
    if (left === 0) res.writeHead(200).end("end of the chain");
    else res.writeHead(302, { location: `/chain/${left - 1}` }).end();
  } else if (path === "/cookies") {
    res.setHeader("set-cookie", ["session=target-session-secret; HttpOnly", "other=2"]);
    res.writeHead(200, { "set-cookie2": "legacy=3", "x-kept": "yes" }).end("with cookies");
  } else if (path === "/big") res.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(Number(url.searchParams.get("bytes"))));
  else {
    const { authorization, cookie, "content-type": contentType } = req.headers;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ method: req.method, body, authorization, cookie, contentType }));
  }
}

function resolver(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://resolver");
  const key = `${url.searchParams.get("name")} ${url.searchParams.get("type")}`;
  dnsQueries.push(key);
  res.writeHead(200, { "content-type": "application/dns-json" }).end(JSON.stringify(DNS[key] ?? { Status: 3 }));
}

beforeAll(async () => {
  const targetPort = await listen((req, res) => void target(req, res));
  const otherPort = await listen((req, res) => void target(req, res));
  secretPort = await listen((req, res) => {
    secretHits.push(req.url ?? "/");
    res.writeHead(200, { "set-cookie": "admin=internal-session" }).end("internal secret");
  });
  const resolverPort = await listen(resolver);
  targetUrl = `http://127.0.0.1:${targetPort}`;
  otherUrl = `http://127.0.0.1:${otherPort}`;
  platform = await startDevServer({
    vars: {
      ADMIN_API_KEY: E2E_ADMIN_KEY,
      SIGNING_SECRET: "e2e-signing-secret",
      OUTBOUND_ALLOW_HOSTS: `127.0.0.1:${targetPort}, 127.0.0.1:${otherPort}`,
      OUTBOUND_DNS_RESOLVER: `http://127.0.0.1:${resolverPort}/dns-query`,
    },
  });
});

afterAll(async () => {
  await platform?.stop();
  for (const server of servers) server.close();
});

describe("the http.request job type against a real HTTP service", () => {
  it("succeeds on 2xx and returns status, headers and body", async () => {
    const job = await call("/jobs", { type: "http.request", input: { url: `${targetUrl}/ok`, method: "POST", body: { a: 1 } } });
    const done = await finished(job.body.id);
    expect(done.status).toBe("completed");
    expect(done.result.status).toBe(200);
    expect(JSON.parse(done.result.body)).toMatchObject({ method: "POST", body: '{"a":1}' });
  });

  it("retries a 503 no sooner than its Retry-After, then succeeds", async () => {
    const job = await call("/jobs", {
      type: "http.request",
      input: { url: `${targetUrl}/flaky-${Date.now()}` },
      backoff: { type: "fixed", baseMs: 100 },
    });
    const done = await finished(job.body.id);
    expect(done).toMatchObject({ status: "completed", attempts: 2 });
    const [first, second] = hits.get(new URL(done.input.url).pathname)!;
    expect(second! - first!).toBeGreaterThanOrEqual(2_000);
  });

  it("retries a 429 with the job's backoff", async () => {
    const job = await call("/jobs", {
      type: "http.request",
      input: { url: `${targetUrl}/limited-${Date.now()}` },
      backoff: { type: "fixed", baseMs: 100 },
    });
    expect(await finished(job.body.id)).toMatchObject({ status: "completed", attempts: 2 });
  });

  it("fails at once on another 4xx, as a non-retryable error", async () => {
    const job = await call("/jobs", { type: "http.request", input: { url: `${targetUrl}/missing` } });
    const done = await finished(job.body.id);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError", retryable: false } });
    expect(done.error.message).toContain("404");
  });
});

describe("http.request cannot reach inside (server-side request forgery)", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1 is a loopback address"],
    ["127.1", "127.0.0.1 is a loopback address"],
    ["2130706433", "127.0.0.1 is a loopback address"],
    ["0x7f.0.0.1", "127.0.0.1 is a loopback address"],
    ["0177.0.0.1", "127.0.0.1 is a loopback address"],
    ["0.0.0.0", "0.0.0.0 is an unspecified address"],
    ["localhost", "localhost is a loopback name"],
    ["secret.localhost", "secret.localhost is a loopback name"],
    ["[::ffff:127.0.0.1]", "[::ffff:7f00:1] is an IPv4-mapped address of 127.0.0.1, a loopback address"],
    ["[::ffff:7f00:1]", "[::ffff:7f00:1] is an IPv4-mapped address of 127.0.0.1, a loopback address"],
    ["[::1]", "[::1] is a loopback address"],
  ])("refuses the internal service at %s, which never sees the request", async (host, reason) => {
    const done = await request({ url: `http://${host}:${secretPort}/secret` }, { maxAttempts: 3 });
    expect(done).toMatchObject(refusal(reason));
    expect(secretHits).toEqual([]);
  });

  it.each([
    [302, "127.0.0.1"],
    [301, "localhost"],
    [307, "[::ffff:127.0.0.1]"],
    [308, "2130706433"],
  ])("refuses a %i redirect from an allowed service to the internal one at %s", async (status, host) => {
    const to = `http://${host}:${secretPort}/secret`;
    const done = await request({ url: `${targetUrl}/redirect?status=${status}&to=${encodeURIComponent(to)}` }, { maxAttempts: 3 });
    expect(done).toMatchObject({ status: "failed", attempts: 1, result: null, error: { name: "NonRetryableError", retryable: false } });
    expect(done.error.message).toMatch(/^outbound request refused: (127\.0\.0\.1|localhost|\[::ffff:7f00:1\]) is (a loopback|an IPv4-mapped)/);
    expect(secretHits).toEqual([]);
  });

  it("refuses a redirect to a scheme other than http(s)", async () => {
    const done = await request({ url: `${targetUrl}/redirect?to=${encodeURIComponent("file:///etc/passwd")}` });
    expect(done).toMatchObject(refusal("file: URLs are not allowed (only http and https)"));
  });

  it("follows 5 redirects, and refuses a sixth", async () => {
    const five = await request({ url: `${targetUrl}/chain/5` });
    expect(five).toMatchObject({ status: "completed", result: { status: 200, body: "end of the chain", url: `${targetUrl}/chain/0` } });
    const six = await request({ url: `${targetUrl}/chain/6` }, { maxAttempts: 3 });
    expect(six).toMatchObject(refusal(`more than 5 redirects (the next to ${targetUrl}/chain/0)`));
  });

  it("goes on after a 303 as a GET without the body, and keeps credentials only on the same origin", async () => {
    const headers = { authorization: "Bearer tenant-token", cookie: "a=1", "content-type": "application/json" };
    const sameOrigin = await request({ url: `${targetUrl}/redirect?status=303&to=/echo`, method: "POST", headers, body: { a: 1 } });
    expect(JSON.parse(sameOrigin.result.body)).toEqual({ method: "GET", body: "", authorization: "Bearer tenant-token", cookie: "a=1" });
    const crossOrigin = await request({ url: `${targetUrl}/redirect?status=307&to=${encodeURIComponent(`${otherUrl}/echo`)}`, method: "POST", headers, body: { a: 1 } });
    expect(JSON.parse(crossOrigin.result.body)).toEqual({ method: "POST", body: '{"a":1}', contentType: "application/json" });
    expect(crossOrigin.result.url).toBe(`${otherUrl}/echo`);
  });

  it("never stores the cookies a target sets", async () => {
    const done = await request({ url: `${targetUrl}/cookies` });
    expect(done).toMatchObject({ status: "completed", result: { status: 200, body: "with cookies", headers: { "x-kept": "yes" } } });
    expect(Object.keys(done.result.headers)).not.toContain("set-cookie");
    expect(Object.keys(done.result.headers)).not.toContain("set-cookie2");
    expect(JSON.stringify(done)).not.toContain("target-session-secret");
  });

  it("stores at most maxResponseBytes of the body, saying it was truncated", async () => {
    const capped = await request({ url: `${targetUrl}/big?bytes=300000`, maxResponseBytes: 1_000 });
    expect(capped.result).toMatchObject({ status: 200, truncated: true });
    expect(capped.result.body).toBe("x".repeat(1_000));
    const whole = await request({ url: `${targetUrl}/big?bytes=1000`, maxResponseBytes: 1_000 });
    expect(whole.result).toMatchObject({ body: "x".repeat(1_000), truncated: false });
    const byDefault = await request({ url: `${targetUrl}/big?bytes=300000` });
    expect(byDefault.result.body).toHaveLength(65_536);
    expect(byDefault.result.truncated).toBe(true);
  });

  it("cannot call the platform's own API, so a job cannot create jobs", async () => {
    const before = await call("/jobs?type=simulate&limit=100");
    const done = await request({ url: `${platform.url}/api/v1/jobs`, method: "POST", headers: { authorization: `Bearer ${E2E_ADMIN_KEY}` }, body: { type: "simulate" } });
    expect(done).toMatchObject(refusal("127.0.0.1 is a loopback address"));
    expect((await call("/jobs?type=simulate&limit=100")).body.items).toEqual(before.body.items);
  });

  it("fails every item of a batch fanning out to the internal service, without one request", async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ url: `http://${["127.1", "localhost", "[::ffff:7f00:1]", "2130706433", "0.0.0.0"][i % 5]}:${secretPort}/secret` }));
    const job = await call("/jobs", { type: "batch", input: { itemType: "http.request", items, concurrency: 50 } });
    expect(await finished(job.body.id)).toMatchObject({ status: "completed", result: { total: 50, succeeded: 0, failed: 50 } });
    const list = (await call(`/jobs/${job.body.id}/items?limit=100`)).body.items as any[];
    expect(list.map((item) => [item.status, item.attempts, item.error.name])).toEqual(Array(50).fill(["failed", 1, "NonRetryableError"]));
    expect(list.every((item) => item.error.message.startsWith("outbound request refused: "))).toBe(true);
    expect(secretHits).toEqual([]);
  });
});

describe("http.request checks what a name resolves to, through the operator's DNS-over-HTTPS resolver", () => {
  it.each([
    ["127.0.0.1.nip.io", "127.0.0.1.nip.io resolves to 127.0.0.1, a loopback address"],
    ["v6-loopback.example", "v6-loopback.example resolves to ::1, a loopback address"],
    ["metadata.example", "metadata.example resolves to 169.254.169.254, a link-local address"],
    ["alias.example", "alias.example is an alias of printer.local, a local network name (.local, mDNS)"],
    ["nowhere.example", "nowhere.example has no address in DNS (checked through OUTBOUND_DNS_RESOLVER)"],
  ])("refuses %s", async (name, reason) => {
    const done = await request({ url: `http://${name}:${secretPort}/secret` }, { maxAttempts: 3 });
    expect(done).toMatchObject(refusal(reason));
    expect(dnsQueries).toContain(`${name} A`);
    expect(secretHits).toEqual([]);
  });

  it("lets a name with only public addresses through to the request", async () => {
    // The check passes; the request itself then fails (the machine's own DNS does not know the
    // name, or there is no network), as a retryable network error rather than a refusal.
    const done = await request({ url: "http://public.example/" }, { maxAttempts: 1 });
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { retryable: true } });
    expect(done.error.message).not.toMatch(/refused|DNS check/);
    expect(dnsQueries).toEqual(expect.arrayContaining(["public.example A", "public.example AAAA"]));
  });

  it("does not send the request when the resolver cannot answer, and retries", async () => {
    const done = await request({ url: "http://servfail.example/" }, { maxAttempts: 2, backoff: { type: "fixed", baseMs: 0 } });
    expect(done).toMatchObject({ status: "failed", attempts: 2, error: { name: "DnsCheckError", retryable: true } });
    expect(done.error.message).toMatch(/^the DNS check could not resolve servfail\.example \(A+\): DNS status 2$/);
  });

  it("does not ask the resolver about allowed hosts or IP addresses", async () => {
    await request({ url: `${targetUrl}/ok` });
    expect(dnsQueries.filter((q) => q.startsWith("127.0.0.1 "))).toEqual([]);
  });
});
