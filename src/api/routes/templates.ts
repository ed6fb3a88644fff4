import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { templates } from "../../db/schema";
import { newId } from "../../engine/ids";
import { ReportLimitError, ReportRenderError, renderReport } from "../../reports/render";
import { assertValidTemplate, findTemplate, toTemplate } from "../../reports/templates";
import { bindVariables } from "../../reports/variables";
import { assertRoom } from "../../quotas/check";
import { IdParam, PageQuery, errorResponses, jsonBody, jsonContent, listOf, withLocation } from "../../schemas/common";
import { reportContent } from "../../schemas/report";
import { CreateTemplateSchema, DraftPreviewSchema, PreviewSchema, TemplateSchema, UpdateTemplateSchema } from "../../schemas/template";
import type { z } from "@hono/zod-openapi";
import { newRouter } from "../context";
import { ApiError, notFound } from "../errors";
import { requireScope } from "../middleware/auth";
import { decodeCursor, isIdCursor, pageOf } from "../pagination";

const createRouteDef = createRoute({
  method: "post",
  path: "/",
  operationId: "createTemplate",
  summary: "Save a report template (refused with line and column if it does not parse)",
  tags: ["templates"],
  middleware: [requireScope("reports:write")] as const,
  request: jsonBody(CreateTemplateSchema),
  responses: { 201: withLocation(jsonContent(TemplateSchema, "Saved")), ...errorResponses(409, 422) },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listTemplates",
  summary: "List templates, newest first",
  tags: ["templates"],
  middleware: [requireScope("reports:read")] as const,
  request: {
    query: PageQuery,
  },
  responses: { 200: jsonContent(listOf(TemplateSchema, "TemplateList"), "A page") },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/{id}",
  operationId: "getTemplate",
  summary: "Get a template",
  tags: ["templates"],
  middleware: [requireScope("reports:read")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(TemplateSchema, "The template"), ...errorResponses(404) },
});

const patchRouteDef = createRoute({
  method: "patch",
  path: "/{id}",
  operationId: "updateTemplate",
  summary: "Change a template",
  tags: ["templates"],
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam, ...jsonBody(UpdateTemplateSchema) },
  responses: { 200: jsonContent(TemplateSchema, "Changed"), ...errorResponses(404, 409, 422) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteTemplate",
  summary: "Delete a template (reports rendered from it keep their versions)",
  tags: ["templates"],
  middleware: [requireScope("reports:write")] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404) },
});

const previewRouteDef = createRoute({
  method: "post",
  path: "/{id}/preview",
  operationId: "previewTemplate",
  summary: "Render a template with the given variables without storing anything",
  tags: ["templates"],
  middleware: [requireScope("reports:read")] as const,
  request: { params: IdParam, ...jsonBody(PreviewSchema) },
  responses: {
    200: reportContent("The rendered report, in the template's format"),
    ...errorResponses(404, 422),
  },
});

const draftPreviewRouteDef = createRoute({
  method: "post",
  path: "/preview",
  operationId: "previewTemplateDraft",
  summary: "Render a template that is not stored (an editor's unsaved draft) without storing anything",
  description: "A draft that does not parse is refused with 422 `template_syntax`, its line and column in `details`.",
  tags: ["templates"],
  middleware: [requireScope("reports:read")] as const,
  request: jsonBody(DraftPreviewSchema),
  responses: {
    200: reportContent("The rendered report, in the draft's format"),
    ...errorResponses(422),
  },
});

type Previewed = Pick<z.infer<typeof TemplateSchema>, "body" | "format" | "variables" | "name">;

/** Renders `template` with `values` checked against its declarations; render failures are 422s. */
async function renderPreview(template: Previewed, values: Record<string, unknown>, data: unknown) {
  const bound = bindVariables(template.variables, values);
  if (!bound.ok) throw new ApiError(422, "invalid_variables", "the variables do not match the template's declarations", bound.issues);
  try {
    return await renderReport({ body: template.body, format: template.format, variables: bound.values, data, reportName: template.name });
  } catch (err) {
    if (err instanceof ReportLimitError) throw new ApiError(422, "limit_exceeded", err.message, [{ limit: err.limit, max: err.max }]);
    if (err instanceof ReportRenderError) throw new ApiError(422, "render_failed", err.message, err.detail);
    throw err;
  }
}

function nameTaken(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed: templates\.tenant, templates\.name/.test(`${err.message} ${String(err.cause ?? "")}`);
}

const duplicateName = (name: string) => new ApiError(409, "name_taken", `a template named "${name}" already exists`);

export const templatesApi = newRouter()
  .openapi(createRouteDef, async (c) => {
    const input = c.req.valid("json");
    assertValidTemplate(input.body, input.variables);
    const now = Date.now();
    const row = {
      id: newId("tpl", now),
      tenant: c.get("principal").tenant,
      name: input.name,
      description: input.description ?? null,
      format: input.format,
      variables: JSON.stringify(input.variables),
      body: input.body,
      createdAt: now,
      updatedAt: now,
    };
    await assertRoom(c.env, row.tenant, "templates", 1);
    try {
      await c.get("db").insert(templates).values(row).run();
    } catch (err) {
      if (nameTaken(err)) throw duplicateName(input.name);
      throw err;
    }
    c.header("Location", `/api/v1/templates/${row.id}`);
    return c.json(toTemplate(row), 201);
  })
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const tenant = c.get("principal").tenant;
    const after = cursor ? decodeCursor(cursor, isIdCursor).id : undefined;
    const rows = await c
      .get("db")
      .select()
      .from(templates)
      .where(and(eq(templates.tenant, tenant), after ? lt(templates.id, after) : undefined))
      .orderBy(desc(templates.id))
      .limit(limit + 1);
    return c.json(pageOf(rows, limit, toTemplate, (r) => ({ id: r.id })), 200);
  })
  .openapi(getRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findTemplate(c.env, c.get("principal").tenant, id);
    if (!row) throw notFound(`template ${id}`);
    return c.json(toTemplate(row), 200);
  })
  .openapi(patchRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const changes = c.req.valid("json");
    const tenant = c.get("principal").tenant;
    const current = await findTemplate(c.env, tenant, id);
    if (!current) throw notFound(`template ${id}`);
    const next = { ...toTemplate(current), ...changes };
    assertValidTemplate(next.body, next.variables);
    const values = {
      name: next.name,
      description: next.description ?? null,
      format: next.format,
      variables: JSON.stringify(next.variables),
      body: next.body,
      updatedAt: Date.now(),
    };
    try {
      await c.get("db").update(templates).set(values).where(and(eq(templates.id, id), eq(templates.tenant, tenant))).run();
    } catch (err) {
      if (nameTaken(err)) throw duplicateName(next.name);
      throw err;
    }
    return c.json(toTemplate({ ...current, ...values }), 200);
  })
  .openapi(deleteRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const deleted = await c
      .get("db")
      .delete(templates)
      .where(and(eq(templates.id, id), eq(templates.tenant, c.get("principal").tenant)))
      .returning({ id: templates.id });
    if (deleted.length === 0) throw notFound(`template ${id}`);
    return c.body(null, 204);
  })
  .openapi(previewRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const { variables, data } = c.req.valid("json");
    const template = await findTemplate(c.env, c.get("principal").tenant, id);
    if (!template) throw notFound(`template ${id}`);
    const rendered = await renderPreview(toTemplate(template), variables, data);
    return c.body(rendered.bytes.slice().buffer, 200, { "content-type": rendered.contentType });
  })
  .openapi(draftPreviewRouteDef, async (c) => {
    const { template, variables, data } = c.req.valid("json");
    assertValidTemplate(template.body, template.variables);
    const rendered = await renderPreview({ ...template, name: template.name ?? "draft" }, variables, data);
    return c.body(rendered.bytes.slice().buffer, 200, { "content-type": rendered.contentType });
  });
