// What the resource pages (schedules, reports, templates, documents, keys, settings) read from the
// API. Schedules, reports, templates, documents, search and keys are the worker's own zod schemas
// (types only); uploads, settings and rate limits are declared in files the browser cannot import,
// so they are typed here as those routes answer them.
import type { z } from "@hono/zod-openapi";
import type { ReportSchema, ReportVersionSchema, StoredVersionSchema } from "../schemas/report";
import type { Schedule, ScheduleJob, ScheduleRunSchema, SchedulePreviewSchema } from "../schemas/schedule";
import type { DocumentSchema } from "../schemas/document";
import type { ApiKeySchema, CreatedApiKeySchema } from "../schemas/key";
import type { SearchHit, SearchResult } from "../schemas/search";
import type { ReportFormatSchema, TemplateSchema } from "../schemas/template";

export type { Schedule, ScheduleJob };
export type ScheduleRun = z.infer<typeof ScheduleRunSchema>;
export type SchedulePreview = z.infer<typeof SchedulePreviewSchema>;

/** The timing fields POST /schedules/preview takes (as POST /schedules does). */
export interface ScheduleTiming {
  cron?: string;
  intervalMs?: number;
  timezone: string;
  startsAt?: string;
  endsAt?: string;
}

export type Report = z.infer<typeof ReportSchema>;
export type ReportVersion = z.infer<typeof ReportVersionSchema>;
export type StoredVersion = z.infer<typeof StoredVersionSchema>;
export type ReportWithLatest = Report & { latest: ReportVersion | null };
export type ReportFormat = z.infer<typeof ReportFormatSchema>;
export const REPORT_FORMATS: readonly ReportFormat[] = ["markdown", "html", "json", "text", "csv", "pdf", "docx"];
/** Formats whose versions are files to download rather than text to show. */
export const isBinaryFormat = (format: string) => format === "pdf" || format === "docx";

export type Template = z.infer<typeof TemplateSchema>;
export type TemplateVariable = Template["variables"][number];
export const VARIABLE_TYPES: readonly TemplateVariable["type"][] = ["string", "number", "integer", "boolean", "date", "array", "object"];

/** POST /uploads' answer (src/schemas/upload.ts names worker-only code, so it cannot be typed from here). */
export interface Upload {
  id: string;
  name: string;
  contentType: string;
  status: "uploading" | "stored";
  size: number | null;
  createdAt: string;
  contentUrl: string;
}

export const DOCUMENT_STATUSES = ["pending", "extracting", "chunking", "indexing", "completed", "failed"] as const;

export type DocumentItem = z.infer<typeof DocumentSchema>;

export type { SearchHit, SearchResult };

export const KEY_SCOPES = ["jobs:read", "jobs:write", "reports:read", "reports:write", "metrics:read", "admin"] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

export type ApiKey = z.infer<typeof ApiKeySchema>;
export type CreatedKey = z.infer<typeof CreatedApiKeySchema>;

export const QUOTA_LABELS = {
  schedules: "Schedules",
  templates: "Templates",
  uploadBytes: "Upload bytes",
  datasetRows: "Dataset rows",
  documentChunks: "Document chunks",
  liveJobs: "Live jobs",
  secrets: "Secrets",
} as const;
export type QuotaName = keyof typeof QUOTA_LABELS;

export interface QuotaUse {
  limit: number;
  used: number;
  source: "default" | "override";
}

export interface TenantSettings {
  reports: { keepVersions: number | null };
  jobs: { retentionDays: number | null; effectiveRetentionDays: number; concurrencyLimit: number | null };
  quotas: Record<QuotaName, QuotaUse>;
}

export interface SettingsUpdate {
  reports?: { keepVersions: number | null };
  jobs?: { retentionDays?: number | null; concurrencyLimit?: number | null };
  quotas?: Partial<Record<QuotaName, number | null>>;
}

export interface RateLimitRule {
  action: string;
  limit: number;
  windowMs: number;
  mode: "reject" | "throttle";
  source: "default" | "tenant";
}
