import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attemptsOf, logsOf } from "./engine-helpers";
import { api, json, newTenant, submit, waitForStatus } from "./helpers";

const reportsTenant = () => newTenant(["reports:read", "reports:write", "jobs:read", "jobs:write"]);

async function template(key: string, body: Record<string, unknown>) {
  return json(await api("/templates", { key, body }), 201);
}

/** Submits a report.generate job and waits for it to finish; `result` and `error` as the API renders them. */
async function generate(key: string, input: Record<string, unknown>): Promise<any> {
  const job = await submit(key, { type: "report.generate", input });
  return waitForStatus(key, job.id, ["completed", "failed"]);
}

async function content(key: string, url: string) {
  const res = await api(url.replace("/api/v1", ""), { key });
  expect(res.status).toBe(200);
  return res;
}

describe("report.generate", () => {
  it("renders a saved template into a new report version, and an unchanged render into no new version", async () => {
    const { key } = await reportsTenant();
    const tpl = await template(key, {
      name: "status",
      format: "markdown",
      variables: [{ name: "project", required: true }, { name: "open", type: "integer", default: 0 }],
      body: "# {{ project }}\nopen issues: {{ open }}\n",
    });
    const done = await generate(key, { templateId: tpl.id, variables: { project: "Atlas", open: 3 }, reportName: "atlas-status" });
    expect(done.status).toBe("completed");
    expect(done.result).toMatchObject({ reportName: "atlas-status", version: 1, format: "markdown", duplicate: false });
    expect(done.progress).toMatchObject({ percent: 100, stage: "store" });
    expect(await (await content(key, done.result.contentUrl)).text()).toBe("# Atlas\nopen issues: 3\n");

    const versions = await json(await api(`/reports/${done.result.reportId}/versions`, { key }), 200);
    expect(versions.items[0]).toMatchObject({ templateId: tpl.id, jobId: done.id, version: 1 });
    expect(versions.items[0].contextHash).toMatch(/^[0-9a-f]{64}$/);

    const same = await generate(key, { templateId: tpl.id, variables: { open: 3, project: "Atlas" }, reportId: done.result.reportId });
    expect(same.result).toMatchObject({ version: 1, duplicate: true, reportId: done.result.reportId });
    expect(await logsOf(key, same.id)).toContain("same content as version 1: nothing stored");

    const changed = await generate(key, { templateId: tpl.id, variables: { project: "Atlas", open: 4 }, reportId: done.result.reportId });
    expect(changed.result).toMatchObject({ version: 2, duplicate: false });
    const diff = await api(`/reports/${done.result.reportId}/diff?from=1&to=2`, { key });
    expect(await diff.text()).toContain("-open issues: 3\n+open issues: 4\n");
  });

  it("takes an inline template and another job's result as its data, in every text format", async () => {
    const { key } = await reportsTenant();
    const source = await submit(key, { type: "simulate", input: { steps: 2, stepMs: 1 } });
    await waitForStatus(key, source.id, ["completed"]);
    const cases = {
      json: ['{"steps": {{ data.steps }}, "attempt": {{ data.attempt }}}', '{"steps": 2, "attempt": 1}', "application/json"],
      csv: ["steps,attempt\n{{ data.steps }},{{ data.attempt }}\n", "steps,attempt\n2,1\n", "text/csv; charset=utf-8"],
      html: ["<p>{{ data.steps }}</p>", "<p>2</p>", "text/html; charset=utf-8"],
      text: ["steps={{ data.steps }}", "steps=2", "text/plain; charset=utf-8"],
    } as const;
    for (const [format, [body, expected, type]] of Object.entries(cases)) {
      const done = await generate(key, { template: { body, format }, dataFromJob: source.id, reportName: `inline-${format}` });
      expect(done.status, JSON.stringify(done.error)).toBe("completed");
      const res = await content(key, done.result.contentUrl);
      expect(res.headers.get("content-type")).toBe(type);
      expect(await res.text()).toBe(expected);
    }
  });

  it("reads its data from an uploaded CSV, JSON or NDJSON file", async () => {
    const { key } = await reportsTenant();
    const files = [
      ["people.csv", "text/csv", "name,team\nada,core\ngrace,infra\n"],
      ["people.json", "application/json", '[{"name":"ada","team":"core"},{"name":"grace","team":"infra"}]'],
      ["people.ndjson", "application/x-ndjson", '{"name":"ada","team":"core"}\n{"name":"grace","team":"infra"}\n'],
    ] as const;
    for (const [name, type, text] of files) {
      const upload = await json(await exports.default.fetch(`https://jobs.test/api/v1/uploads?name=${name}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": type },
        body: text,
      }), 201);
      const done = await generate(key, {
        template: { body: "{% for p in data %}{{ p.name }}@{{ p.team }};{% endfor %}", format: "text" },
        dataFromUpload: upload.id,
        reportName: `from-${name}`,
      });
      expect(done.status, JSON.stringify(done.error)).toBe("completed");
      expect(await (await content(key, done.result.contentUrl)).text()).toBe("ada@core;grace@infra;");
    }
    const bad = await json(await exports.default.fetch("https://jobs.test/api/v1/uploads?name=bad.json", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: "{not json",
    }), 201);
    const failed = await generate(key, { template: { body: "x", format: "text" }, dataFromUpload: bad.id, reportName: "bad" });
    expect(failed).toMatchObject({ status: "failed", attempts: 1 });
    expect(failed.error.message).toMatch(/bad\.json is not valid JSON/);
    const missing = await generate(key, { template: { body: "x", format: "text" }, dataFromUpload: "upl_NOPE", reportName: "bad" });
    expect(missing).toMatchObject({ status: "failed", error: { message: "upload upl_NOPE not found" } });
  });

  it("writes a PDF whose bytes are the same for the same render", async () => {
    const { key, tenant } = await reportsTenant();
    const body = "# Quarterly report\n{% for row in data %}{{ row.name }}: {{ row.total }}\n{% endfor %}";
    const data = Array.from({ length: 120 }, (_, i) => ({ name: `customer ${i}`, total: i * 10 }));
    const done = await generate(key, { template: { body, format: "pdf" }, data, reportName: "q3" });
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    const bytes = new Uint8Array(await (await content(key, done.result.contentUrl)).arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    expect(bytes.byteLength).toBe(done.result.size);
    const again = await generate(key, { template: { body, format: "pdf" }, data, reportId: done.result.reportId });
    expect(again.result).toMatchObject({ duplicate: true, version: 1 });
    expect((await env.BUCKET.list({ prefix: `reports/${tenant}/` })).objects).toHaveLength(1);
  });

  it("fails at once, without retrying, when the variables do not fit or the template is gone", async () => {
    const { key } = await reportsTenant();
    const tpl = await template(key, { name: "strict", format: "text", variables: [{ name: "who", required: true }], body: "hi {{ who }}" });
    const missing = await generate(key, { templateId: tpl.id, variables: {}, reportName: "x" });
    expect(missing).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError", retryable: false } });
    expect(missing.error.message).toMatch(/variables\.who/);
    expect(await attemptsOf(key, missing.id)).toHaveLength(1);

    const gone = await generate(key, { templateId: "tpl_NOPE", reportName: "x" });
    expect(gone).toMatchObject({ status: "failed", attempts: 1, error: { message: "template tpl_NOPE not found" } });
    const noReport = await generate(key, { templateId: tpl.id, variables: { who: "x" }, reportId: "rpt_NOPE" });
    expect(noReport).toMatchObject({ status: "failed", attempts: 1, error: { message: "report rpt_NOPE not found" } });
    const badJson = await generate(key, { template: { body: "{ {{ 1 }}", format: "json" }, reportName: "j" });
    expect(badJson).toMatchObject({ status: "failed", attempts: 1 });
    expect(badJson.error.message).toMatch(/valid JSON/);
    expect((await json(await api("/reports", { key }), 200)).items).toEqual([]);
  });

  it("refuses bad input at submit with 422 and the field paths", async () => {
    const { key } = await reportsTenant();
    const both = await json(await api("/jobs", { key, body: { type: "report.generate", input: { templateId: "a", template: { body: "x", format: "text" }, reportName: "r" } } }), 422);
    expect(both.error.details).toEqual([expect.objectContaining({ path: "input.templateId" })]);
    const unparsable = await json(await api("/jobs", { key, body: { type: "report.generate", input: { template: { body: "{% if %}", format: "text" }, reportName: "r" } } }), 422);
    expect(unparsable.error.details).toEqual([expect.objectContaining({ path: "input.template.body" })]);
    const noTarget = await json(await api("/jobs", { key, body: { type: "report.generate", input: { templateId: "a" } } }), 422);
    expect(noTarget.error.details).toEqual([expect.objectContaining({ path: "input.reportId" })]);
  });
});
