import { describe, expect, it } from "vitest";
import { shardOf } from "../../src/db/shards";
import type { Job } from "../../src/schemas/job";
import { captureSql, later, listJobs, queryPlan, sleep } from "./api-helpers";
import { api, env, json, newTenant, submit, tenantBeside } from "./helpers";

const ids = (jobs: Job[]) => jobs.map((j) => j.id);

/** An http.request job that stays queued for an hour: its input has nested values, headers and a credential. */
const invoiceCall = (extra: Record<string, unknown> = {}) =>
  later({
    type: "http.request",
    input: {
      url: "https://billing.example.com/invoices",
      method: "POST",
      headers: { Authorization: "Bearer sekret-TOKEN-42", "X-Trace": "trace-ZZ9" },
      body: { note: "Quarterly REPORT for Acme", quoted: 'he said "hi" \\o/', amount: 1250, paid: false },
    },
    ...extra,
  });

/** A tenant with three jobs, oldest first: an invoice call, a plain job, a cancelled one. */
async function fixture(tenant?: Awaited<ReturnType<typeof newTenant>>) {
  const t = tenant ?? (await newTenant());
  const invoice = await submit(t.key, invoiceCall({ tags: ["Customer-Gold"], priority: "high" }));
  await sleep(3);
  const plain = await submit(t.key, later({ tags: ["bronze"] }));
  await sleep(3);
  const cancelled = await submit(t.key, later({ tags: ["gold-rush"] }));
  await json(await api(`/jobs/${cancelled.id}/cancel`, { key: t.key, method: "POST" }), 200);
  return { ...t, invoice, plain, cancelled };
}

const search = async (key: string, query: string) => ids((await listJobs(key, query)).items);

describe("GET /jobs?q= searches the tenant's jobs", () => {
  it("matches the id, type, tags and the input's keys and values, ignoring case, newest first", async () => {
    const { key, invoice, plain, cancelled } = await fixture();
    expect(await search(key, "q=GOLD")).toEqual([cancelled.id, invoice.id]);
    expect(await search(key, "q=http.REQ")).toEqual([invoice.id]);
    expect(await search(key, `q=${plain.id.slice(-12).toLowerCase()}`)).toEqual([plain.id]);
    expect(await search(key, "q=acme")).toEqual([invoice.id]);
    expect(await search(key, "q=quarterly%20report")).toEqual([invoice.id]);
    expect(await search(key, "q=billing.example.com%2Finvoices")).toEqual([invoice.id]);
    expect(await search(key, "q=note")).toEqual([invoice.id]);
    expect(await search(key, "q=1250")).toEqual([invoice.id]);
    // Booleans as JSON writes them: simulate's stored input holds its defaults, `durable: false` among them.
    expect(await search(key, "q=false")).toEqual([cancelled.id, plain.id, invoice.id]);
    // A value with quotes and a backslash, which the stored JSON escapes.
    expect(await search(key, `q=${encodeURIComponent('said "hi" \\o')}`)).toEqual([invoice.id]);
    // Not the JSON punctuation between values.
    expect(await search(key, `q=${encodeURIComponent('","')}`)).toEqual([]);
    expect(await search(key, "q=nothing-like-this")).toEqual([]);
  });

  it("does not match credential header values the job views redact, but does their names and other headers", async () => {
    const { key, invoice } = await fixture();
    expect((await listJobs(key, "q=acme")).items[0]!.input).toMatchObject({ headers: { Authorization: "[redacted]" } });
    expect(await search(key, "q=sekret")).toEqual([]);
    expect(await search(key, "q=bearer")).toEqual([]);
    expect(await search(key, "q=authorization")).toEqual([invoice.id]);
    expect(await search(key, "q=trace-zz9")).toEqual([invoice.id]);
    // A key the view's case folding turns into a credential's name (a Kelvin sign for the K),
    // redacted when the input names another credential.
    const headers = { "COO\u212AIE": "kelvin-secret", "X-Api-Key": "k-42", Accept: "kelvin/plain" };
    const kelvin = await submit(key, invoiceCall({ input: { url: "https://example.com", headers } }));
    const [view] = (await listJobs(key, "q=kelvin%2Fplain")).items;
    expect(view).toMatchObject({ id: kelvin.id, input: { headers: { "COO\u212AIE": "[redacted]", "X-Api-Key": "[redacted]", Accept: "kelvin/plain" } } });
    expect(await search(key, "q=kelvin-secret")).toEqual([]);
  });

  it("combines with the other filters and pages with the cursor", async () => {
    const { key, invoice, cancelled } = await fixture();
    expect(await search(key, "q=gold&status=cancelled")).toEqual([cancelled.id]);
    expect(await search(key, "q=gold&status=queued")).toEqual([invoice.id]);
    expect(await search(key, "q=gold&type=http.request")).toEqual([invoice.id]);
    expect(await search(key, "q=gold&priority=high")).toEqual([invoice.id]);
    expect(await search(key, "q=gold&tag=Customer-Gold")).toEqual([invoice.id]);
    expect(await search(key, "q=acme&tag=bronze")).toEqual([]);
    expect(await search(key, `q=gold&createdAfter=${invoice.createdAt}`)).toEqual([cancelled.id]);
    expect(await search(key, `q=gold&createdBefore=${cancelled.createdAt}`)).toEqual([invoice.id]);

    const first = await listJobs(key, "q=gold&limit=1");
    expect(ids(first.items)).toEqual([cancelled.id]);
    const second = await listJobs(key, `q=gold&limit=1&cursor=${first.nextCursor}`);
    expect(second).toEqual({ items: [invoice], nextCursor: null });
  });

  it("never returns another tenant's jobs, in the same database or another", async () => {
    const a = await fixture();
    const same = await fixture(await tenantBeside(a.tenant, true));
    const other = await fixture(await tenantBeside(a.tenant, false));
    for (const t of [a, same, other]) {
      expect(await search(t.key, "q=acme")).toEqual([t.invoice.id]);
      expect(await search(t.key, "q=gold&limit=200")).toEqual([t.cancelled.id, t.invoice.id]);
      expect(await search(t.key, `q=${a.plain.id}`)).toEqual(t === a ? [a.plain.id] : []);
    }
    // A cursor of one tenant's search reads the other's jobs only.
    const page = await listJobs(a.key, "q=gold&limit=1");
    expect(await search(same.key, `q=gold&cursor=${page.nextCursor}`)).toEqual([]);
  });

  it("reads the tenant's own index ranges, never a scan of the jobs table", async () => {
    let t = await newTenant();
    while (shardOf(env, t.tenant) !== "DB") t = await newTenant();
    await fixture(t);
    for (const query of ["q=acme", "q=acme&status=queued", "q=acme&type=http.request", "q=acme&priority=high"]) {
      const { res, statements } = await captureSql(`/jobs?${query}`, t.key);
      expect(res.status).toBe(200);
      const page = statements.filter((s) => /from "?jobs"?/i.test(s.sql) && /order by/i.test(s.sql));
      expect(page, query).toHaveLength(1);
      const plan = (await queryPlan(page[0]!)).join(" | ");
      expect(plan, query).not.toMatch(/SCAN jobs\b/);
      expect(plan, query).toMatch(/SEARCH jobs USING (COVERING )?INDEX jobs_tenant_(status|type_priority)_id \(tenant=\?/);
    }
  });

  it("refuses an empty or too long q with the validation envelope", async () => {
    const { key } = await newTenant();
    expect(await json(await api("/jobs?q=", { key }), 400)).toEqual({
      error: {
        code: "validation_failed",
        message: "request failed validation in query",
        details: [{ path: "q", message: "Too small: expected string to have >=1 characters", code: "too_small" }],
        requestId: expect.any(String),
      },
    });
    expect(await json(await api(`/jobs?q=${"x".repeat(201)}`, { key }), 400)).toEqual({
      error: {
        code: "validation_failed",
        message: "request failed validation in query",
        details: [{ path: "q", message: "Too big: expected string to have <=200 characters", code: "too_big" }],
        requestId: expect.any(String),
      },
    });
    expect(await search(key, `q=${"x".repeat(200)}`)).toEqual([]);
  });

  it("documents q in the OpenAPI document", async () => {
    const doc = await json(await api("/openapi.json", { key: null }), 200);
    const q = doc.paths["/api/v1/jobs"].get.parameters.find((p: { name: string }) => p.name === "q");
    expect(q).toMatchObject({ in: "query", required: false, schema: { type: "string", minLength: 1, maxLength: 200 } });
    expect(JSON.stringify(q)).toContain("scans the tenant's jobs");
    expect(JSON.stringify(q)).toContain("newest first");
  });
});
