import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { database } from "../db/client";
import { jobs } from "../db/schema";
import { NonRetryableError } from "../engine/errors";
import { NotFoundError } from "../errors";
import { REPORT_FORMATS } from "../reports/formats";
import { ReportRenderError, canonicalJson, convertText, renderText } from "../reports/render";
import { sha256Hex } from "../crypto";
import { findReport } from "../reports/queries";
import { storeVersion } from "../reports/store";
import { findTemplate, toTemplate } from "../reports/templates";
import { VariableDeclarationSchema, bindVariables, declarationIssues } from "../reports/variables";
import { checkTemplate } from "../reports/liquid";
import { DataFileError, MAX_DATA_FILE_BYTES, parseDataFile } from "../uploads/parse";
import { findUpload, uploadKey } from "../uploads/store";
import { defineJob } from "./define";

const ReportGenerateInput = z
  .object({
    templateId: z.string().min(1).max(64).optional().describe("A saved template of the tenant."),
    template: z
      .object({
        body: z.string().max(256 * 1024),
        format: z.enum(REPORT_FORMATS),
        variables: z.array(VariableDeclarationSchema).max(200).default([]),
      })
      .optional()
      .describe("An inline template, instead of templateId."),
    variables: z.record(z.string(), z.unknown()).default({}),
    data: z.unknown().optional().describe("Inline data, exposed to the template as `data`."),
    dataFromJob: z.string().min(1).max(64).optional().describe("Use a completed job's result as `data`."),
    dataFromUpload: z.string().min(1).max(64).optional().describe("Use an uploaded JSON, NDJSON or CSV file (up to 10 MiB) as `data`."),
    reportId: z.string().min(1).max(64).optional().describe("Add a version to this report."),
    reportName: z.string().trim().min(1).max(200).optional().describe("Add a version to the report of this name (created if new)."),
    format: z.enum(REPORT_FORMATS).optional().describe("Output format; default: the template's."),
    onDuplicate: z.enum(["skip", "store"]).default("skip"),
  })
  .refine((i) => (i.templateId === undefined) !== (i.template === undefined), {
    message: "give exactly one of templateId and template",
    path: ["templateId"],
  })
  .refine((i) => (i.reportId === undefined) !== (i.reportName === undefined), {
    message: "give exactly one of reportId and reportName",
    path: ["reportId"],
  })
  .refine((i) => [i.data, i.dataFromJob, i.dataFromUpload].filter((v) => v !== undefined).length <= 1, {
    message: "give at most one of data, dataFromJob and dataFromUpload",
    path: ["data"],
  })
  .refine((i) => !i.template || checkTemplate(i.template.body) === null, {
    message: "the inline template does not parse",
    path: ["template", "body"],
  })
  .refine((i) => !i.template || declarationIssues(i.template.variables).length === 0, {
    message: "the inline template's variables are not valid",
    path: ["template", "variables"],
  });

const ReportGenerateResult = z.object({
  reportId: z.string(),
  reportName: z.string(),
  version: z.number().int(),
  format: z.enum(REPORT_FORMATS),
  size: z.number().int(),
  sha256: z.string(),
  duplicate: z.boolean().describe("The content equals the latest version's: nothing was stored (onDuplicate skip)."),
  contentUrl: z.string(),
});

async function jobResult(env: Env, tenant: string, jobId: string): Promise<unknown> {
  const row = await database(env)
    .select({ status: jobs.status, result: jobs.result })
    .from(jobs)
    .where(and(eq(jobs.id, jobId), eq(jobs.tenant, tenant)))
    .get();
  if (!row) throw new NotFoundError(`job ${jobId}`);
  if (row.status !== "completed") throw new NonRetryableError(`job ${jobId} is ${row.status}, not completed`);
  return row.result === null ? null : JSON.parse(row.result);
}

async function uploadedData(env: Env, tenant: string, id: string): Promise<unknown> {
  const upload = await findUpload(env, tenant, id);
  if (!upload) throw new NotFoundError(`upload ${id}`);
  if (upload.status !== "stored" || upload.size === null) throw new NonRetryableError(`upload ${id} is not complete`);
  if (upload.size > MAX_DATA_FILE_BYTES) {
    throw new NonRetryableError(`upload ${id} has ${upload.size} bytes; a report's data file may have ${MAX_DATA_FILE_BYTES}`);
  }
  const object = await env.BUCKET.get(uploadKey(tenant, id));
  if (!object) throw new Error(`the bytes of upload ${id} are missing from storage`);
  try {
    return parseDataFile(await object.text(), upload.contentType, upload.name);
  } catch (err) {
    if (err instanceof DataFileError) throw new NonRetryableError(err.message);
    throw err;
  }
}

/** Renders a template into a new version of a report, stored in R2 and indexed in D1. */
export const reportGenerate = defineJob({
  type: "report.generate",
  description: "Renders a Liquid template (saved or inline) with variables and data into a new report version.",
  input: ReportGenerateInput,
  result: ReportGenerateResult,
  retry: { maxAttempts: 3 },
  timeoutMs: 120_000,
  async run(input, ctx) {
    await ctx.progress(0, { stage: "load data" });
    const saved = input.templateId ? await findTemplate(ctx.env, ctx.tenant, input.templateId) : null;
    if (input.templateId && !saved) throw new NotFoundError(`template ${input.templateId}`);
    const template = saved ? toTemplate(saved) : input.template!;
    const bound = bindVariables(template.variables, input.variables);
    if (!bound.ok) {
      throw new NonRetryableError(`the variables do not match the template: ${bound.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    }
    const data = input.dataFromJob
      ? await jobResult(ctx.env, ctx.tenant, input.dataFromJob)
      : input.dataFromUpload
        ? await uploadedData(ctx.env, ctx.tenant, input.dataFromUpload)
        : input.data;
    const format = input.format ?? template.format;
    const existing = input.reportId ? await findReport(ctx.env, ctx.tenant, input.reportId) : null;
    if (input.reportId && !existing) throw new NotFoundError(`report ${input.reportId}`);
    const reportName = existing?.name ?? input.reportName!;

    try {
      await ctx.progress(25, { stage: "render" });
      const text = await renderText({ body: template.body, format, variables: bound.values, data, reportName });
      await ctx.progress(50, { stage: "convert" });
      const rendered = await convertText(text, format, reportName);
      await ctx.progress(75, { stage: "store" });
      const stored = await storeVersion(ctx.env, {
        tenant: ctx.tenant,
        target: input.reportId ? { reportId: input.reportId } : { name: input.reportName! },
        format,
        bytes: rendered.bytes,
        templateId: saved?.id ?? null,
        contextHash: await sha256Hex(canonicalJson({ variables: bound.values, data: data ?? null })),
        jobId: ctx.jobId,
        onDuplicate: input.onDuplicate,
      });
      if (!stored) throw new NotFoundError(`report ${input.reportId}`);
      ctx.log(stored.duplicate ? `same content as version ${stored.version.version}: nothing stored` : `stored version ${stored.version.version}`);
      return {
        reportId: stored.report.id,
        reportName: stored.report.name,
        version: stored.version.version,
        format,
        size: stored.version.size,
        sha256: stored.version.sha256,
        duplicate: stored.duplicate,
        contentUrl: `/api/v1/reports/${stored.report.id}/versions/${stored.version.version}`,
      };
    } catch (err) {
      if (err instanceof ReportRenderError) throw new NonRetryableError(err.message);
      throw err;
    }
  },
});
