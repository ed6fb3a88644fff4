import { z } from "@hono/zod-openapi";
import { REPORT_FORMATS } from "../reports/formats";
import { VariableDeclarationSchema } from "../reports/variables";
import { IsoTimestamp } from "./common";

export const MAX_TEMPLATE_BODY = 256 * 1024;

export const ReportFormatSchema = z.enum(REPORT_FORMATS).openapi("ReportFormat");

const name = z.string().trim().min(1).max(200);

const templateFields = {
  name,
  description: z.string().max(2_000).nullish(),
  format: ReportFormatSchema,
  variables: z.array(VariableDeclarationSchema).max(200),
  body: z.string().max(MAX_TEMPLATE_BODY).describe("A Liquid template (Jinja-like: {{ var }}, {% for %}, {% if %}, filters)."),
};

export const CreateTemplateSchema = z
  .object({ ...templateFields, variables: templateFields.variables.default([]) })
  .openapi("CreateTemplate");

/** Only the fields given change; no defaults, so an omitted field is left as it is. */
export const UpdateTemplateSchema = z
  .object(templateFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change")
  .openapi("UpdateTemplate");

export const TemplateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    format: ReportFormatSchema,
    variables: z.array(VariableDeclarationSchema),
    body: z.string(),
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
  })
  .openapi("Template");

export const VariableValuesSchema = z.record(z.string(), z.unknown()).default({});

export const PreviewSchema = z
  .object({
    variables: VariableValuesSchema,
    data: z.unknown().optional().describe("Exposed to the template as `data`."),
  })
  .openapi("TemplatePreview");

/** A preview of a template not stored (yet): what the editor shows before saving. */
export const DraftPreviewSchema = z
  .object({
    template: z.object({ name: name.optional(), format: templateFields.format, variables: templateFields.variables.default([]), body: templateFields.body }),
    variables: VariableValuesSchema,
    data: z.unknown().optional().describe("Exposed to the template as `data`."),
  })
  .openapi("TemplateDraftPreview");
