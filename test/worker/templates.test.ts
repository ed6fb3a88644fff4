import { describe, expect, it } from "vitest";
import { api, json, newTenant } from "./helpers";

const REPORT_SCOPES = ["reports:read", "reports:write", "jobs:read", "jobs:write"];
const reportsTenant = () => newTenant(REPORT_SCOPES);

const weekly = {
  name: "weekly",
  description: "Weekly summary",
  format: "markdown",
  variables: [
    { name: "team", type: "string", required: true },
    { name: "week", type: "integer", default: 1 },
    { name: "items", type: "array", default: [] },
  ],
  body: "# {{ team }} week {{ week }}\n{% for item in items %}- {{ item.title | upcase }}\n{% endfor %}",
};

async function createTemplate(key: string, body: Record<string, unknown> = weekly) {
  return json(await api("/templates", { key, body }), 201);
}

describe("templates", () => {
  it("saves, reads, lists, changes and deletes a template", async () => {
    const { key } = await reportsTenant();
    const created = await createTemplate(key);
    expect(created).toMatchObject({ name: "weekly", format: "markdown", description: "Weekly summary" });
    expect(created.variables).toEqual([
      { name: "team", type: "string", required: true },
      { name: "week", type: "integer", required: false, default: 1 },
      { name: "items", type: "array", required: false, default: [] },
    ]);
    expect(await json(await api(`/templates/${created.id}`, { key }), 200)).toEqual(created);

    const second = await createTemplate(key, { ...weekly, name: "monthly" });
    const page = await json(await api("/templates?limit=1", { key }), 200);
    expect(page.items.map((t: any) => t.id)).toEqual([second.id]);
    const next = await json(await api(`/templates?limit=1&cursor=${page.nextCursor}`, { key }), 200);
    expect(next.items.map((t: any) => t.id)).toEqual([created.id]);
    expect(next.nextCursor).toBeNull();

    const changed = await json(await api(`/templates/${created.id}`, { key, method: "PATCH", body: { body: "{{ team }}!", format: "text" } }), 200);
    expect(changed).toMatchObject({ id: created.id, body: "{{ team }}!", format: "text", name: "weekly" });
    expect(changed.variables).toEqual(created.variables);
    expect(await json(await api(`/templates/${created.id}`, { key }), 200)).toMatchObject({ body: "{{ team }}!" });

    expect((await api(`/templates/${created.id}`, { key, method: "DELETE" })).status).toBe(204);
    expect((await api(`/templates/${created.id}`, { key })).status).toBe(404);
    expect((await api(`/templates/${created.id}`, { key, method: "DELETE" })).status).toBe(404);
  });

  it("refuses a template that does not parse, with the line and column of the error", async () => {
    const { key } = await reportsTenant();
    const body = "line one\nline two {% if x %}\n{{ oops ";
    const err = await json(await api("/templates", { key, body: { ...weekly, body } }), 422);
    expect(err.error.code).toBe("template_syntax");
    expect(err.error.details).toMatchObject({ line: 3, column: 1 });
    expect(err.error.message).toMatch(/line 3, column 1/);

    const unknownTag = await json(await api("/templates", { key, body: { ...weekly, body: "ok\n  {% frobnicate %}" } }), 422);
    expect(unknownTag.error.details).toMatchObject({ line: 2, column: 3 });

    const created = await createTemplate(key);
    const patch = await json(await api(`/templates/${created.id}`, { key, method: "PATCH", body: { body: "{% endfor %}" } }), 422);
    expect(patch.error.code).toBe("template_syntax");
    expect(await json(await api(`/templates/${created.id}`, { key }), 200)).toMatchObject({ body: weekly.body });
  });

  it("refuses bad variable declarations and duplicate names", async () => {
    const { key } = await reportsTenant();
    const twice = await json(await api("/templates", { key, body: { ...weekly, variables: [{ name: "a" }, { name: "a" }] } }), 422);
    expect(twice.error).toMatchObject({ code: "invalid_variables", details: [{ path: "variables.1.name" }] });
    const reserved = await json(await api("/templates", { key, body: { ...weekly, variables: [{ name: "data" }] } }), 422);
    expect(reserved.error.details[0].message).toMatch(/provided by the renderer/);
    const badDefault = await json(await api("/templates", { key, body: { ...weekly, variables: [{ name: "n", type: "number", default: "x" }] } }), 422);
    expect(badDefault.error.details).toEqual([{ path: "variables.0.default", message: "the default is not a valid number" }]);
    const badName = await json(await api("/templates", { key, body: { ...weekly, variables: [{ name: "1abc" }] } }), 400);
    expect(badName.error.code).toBe("validation_failed");

    await createTemplate(key);
    const taken = await json(await api("/templates", { key, body: weekly }), 409);
    expect(taken.error.code).toBe("name_taken");
  });

  it("previews with defaults applied and checks the variables against the declarations", async () => {
    const { key } = await reportsTenant();
    const created = await createTemplate(key);
    const res = await api(`/templates/${created.id}/preview`, { key, body: { variables: { team: "Core", items: [{ title: "ship" }, { title: "fix" }] } } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await res.text()).toBe("# Core week 1\n- SHIP\n- FIX\n");

    const missing = await json(await api(`/templates/${created.id}/preview`, { key, body: { variables: {} } }), 422);
    expect(missing.error).toMatchObject({ code: "invalid_variables", details: [{ path: "variables.team" }] });
    const wrongType = await json(await api(`/templates/${created.id}/preview`, { key, body: { variables: { team: "x", week: 1.5 } } }), 422);
    expect(wrongType.error.details[0].path).toBe("variables.week");
    const unknown = await json(await api(`/templates/${created.id}/preview`, { key, body: { variables: { team: "x", tema: "y" } } }), 422);
    expect(unknown.error.details[0].message).toMatch(/tema/);
    // Previewing stores nothing.
    expect((await json(await api("/reports", { key }), 200)).items).toEqual([]);
  });

  it("previews an unsaved draft, refusing one that does not parse with its line and column", async () => {
    const { key } = await reportsTenant();
    const { name: _name, description: _description, ...draft } = weekly;
    const res = await api("/templates/preview", { key, body: { template: draft, variables: { team: "Core" } } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await res.text()).toBe("# Core week 1\n");
    const broken = await json(await api("/templates/preview", { key, body: { template: { ...draft, body: "ok\n{% if team %}\nno end" }, variables: { team: "x" } } }), 422);
    expect(broken.error).toMatchObject({ code: "template_syntax", details: { line: expect.any(Number), column: expect.any(Number) } });
    expect(broken.error.message).toMatch(/line \d+, column \d+/);
    const missing = await json(await api("/templates/preview", { key, body: { template: draft, variables: {} } }), 422);
    expect(missing.error).toMatchObject({ code: "invalid_variables", details: [{ path: "variables.team" }] });
    const malformed = await json(await api("/templates/preview", { key, body: { template: { format: "markdown" }, variables: {} } }), 400);
    expect(malformed.error.code).toBe("validation_failed");
    // Nothing is stored: no template, no report.
    expect((await json(await api("/templates", { key }), 200)).items).toEqual([]);
    expect((await json(await api("/reports", { key }), 200)).items).toEqual([]);
  });

  it("escapes values in HTML templates unless told raw, and reports render errors as 422", async () => {
    const { key } = await reportsTenant();
    const html = await createTemplate(key, {
      name: "page",
      format: "html",
      variables: [{ name: "title", required: true }],
      body: "<h1>{{ title }}</h1>{{ title | raw }}",
    });
    const res = await api(`/templates/${html.id}/preview`, { key, body: { variables: { title: "<b>&</b>" } } });
    expect(await res.text()).toBe("<h1>&lt;b&gt;&amp;&lt;/b&gt;</h1><b>&</b>");

    const json1 = await createTemplate(key, { name: "json", format: "json", variables: [{ name: "v" }], body: "{ broken {{ v }}" });
    const bad = await json(await api(`/templates/${json1.id}/preview`, { key, body: { variables: { v: "x" } } }), 422);
    expect(bad.error.code).toBe("render_failed");
    expect(bad.error.message).toMatch(/valid JSON/);

    const filter = await json(await api("/templates", { key, body: { name: "filter", format: "text", body: "{{ 'a' | nosuchfilter }}" } }), 422);
    expect(filter.error).toMatchObject({ code: "template_syntax", details: { line: 1 } });
  });

  it("keeps tenants apart and requires the reports scopes", async () => {
    const a = await reportsTenant();
    const b = await reportsTenant();
    const created = await createTemplate(a.key);
    expect((await api(`/templates/${created.id}`, { key: b.key })).status).toBe(404);
    expect((await api(`/templates/${created.id}`, { key: b.key, method: "PATCH", body: { body: "x" } })).status).toBe(404);
    expect((await api(`/templates/${created.id}`, { key: b.key, method: "DELETE" })).status).toBe(404);
    expect((await api(`/templates/${created.id}/preview`, { key: b.key, body: { variables: { team: "x" } } })).status).toBe(404);
    expect((await json(await api("/templates", { key: b.key }), 200)).items).toEqual([]);

    const jobsOnly = await newTenant(["jobs:read", "jobs:write"]);
    expect((await api("/templates", { key: jobsOnly.key })).status).toBe(403);
    expect((await api("/templates", { key: jobsOnly.key, body: weekly })).status).toBe(403);
    expect((await api("/templates", { key: null })).status).toBe(401);
  });

  it("answers malformed requests with 4xx JSON errors", async () => {
    const { key } = await reportsTenant();
    for (const [body, status] of [
      ["{not json", 400],
      [{ name: "", format: "markdown", body: "x" }, 400],
      [{ name: "x", format: "xlsx", body: "x" }, 400],
      [{ name: "x", format: "text", body: 42 }, 400],
      [{ name: "x", format: "text", body: "x".repeat(300 * 1024) }, 400],
    ] as const) {
      const res = await api("/templates", { key, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect((await res.json() as any).error.code).toBeTypeOf("string");
    }
    expect((await api("/templates/tpl_missing", { key, method: "PATCH", body: {} })).status).toBe(400);
  });
});
