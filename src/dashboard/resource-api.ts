// The calls of the resource pages (schedules, reports, templates, documents, keys, settings), all
// through api.ts.
import { type Query, apiFetch, apiRequest, getResource } from "./api";
import type {
  ApiKey,
  CreatedKey,
  DocumentItem,
  KeyScope,
  RateLimitRule,
  ReportVersion,
  Report,
  ReportWithLatest,
  Schedule,
  SchedulePreview,
  ScheduleRun,
  ScheduleTiming,
  SearchResult,
  SettingsUpdate,
  StoredVersion,
  Template,
  TenantSettings,
  Upload,
} from "./resource-types";
import type { Job, Page } from "./types";

type Reply = "json" | "text" | "blob";
interface SendOptions {
  query?: Query;
  json?: unknown;
  file?: Blob;
  reply?: Reply;
}

/** A call through api.ts (session cookie, CSRF token, errors as ApiError), answered as `reply`. */
async function send<T>(method: string, path: string, options: SendOptions = {}): Promise<T> {
  const request = { query: options.query, body: options.json, file: options.file };
  if ((options.reply ?? "json") === "json") return apiRequest<T>(method, path, request);
  const res = await apiFetch(method, path, request);
  return (options.reply === "text" ? await res.text() : await res.blob()) as T;
}

const id = (value: string) => encodeURIComponent(value);

export const schedules = {
  list: (query: Query) => getResource<Page<Schedule>>("/schedules", query),
  get: (scheduleId: string) => getResource<Schedule>(`/schedules/${id(scheduleId)}`),
  runs: (scheduleId: string, query: Query) => getResource<Page<ScheduleRun>>(`/schedules/${id(scheduleId)}/runs`, query),
  preview: (timing: ScheduleTiming & { count?: number }) => send<SchedulePreview>("POST", "/schedules/preview", { json: timing }),
  create: (body: Record<string, unknown>) => send<Schedule>("POST", "/schedules", { json: body }),
  update: (scheduleId: string, body: Record<string, unknown>) => send<Schedule>("PATCH", `/schedules/${id(scheduleId)}`, { json: body }),
  remove: (scheduleId: string) => send<void>("DELETE", `/schedules/${id(scheduleId)}`),
  pause: (scheduleId: string) => send<Schedule>("POST", `/schedules/${id(scheduleId)}/pause`),
  resume: (scheduleId: string) => send<Schedule>("POST", `/schedules/${id(scheduleId)}/resume`),
  trigger: (scheduleId: string) => send<Job>("POST", `/schedules/${id(scheduleId)}/trigger`),
};

export const reports = {
  list: (query: Query) => getResource<Page<Report>>("/reports", query),
  get: (reportId: string) => getResource<ReportWithLatest>(`/reports/${id(reportId)}`),
  versions: (reportId: string, query: Query) => getResource<Page<ReportVersion>>(`/reports/${id(reportId)}/versions`, query),
  content: (reportId: string, version: number) => send<string>("GET", `/reports/${id(reportId)}/versions/${version}`, { reply: "text" }),
  diff: (reportId: string, from: number, to: number, context: number) =>
    send<string>("GET", `/reports/${id(reportId)}/diff`, { query: { from, to, context }, reply: "text" }),
  store: (body: { name: string; format: string; content: string }) => send<StoredVersion>("POST", "/reports", { json: body }),
  remove: (reportId: string) => send<void>("DELETE", `/reports/${id(reportId)}`),
};

export const templates = {
  list: (query: Query) => getResource<Page<Template>>("/templates", query),
  get: (templateId: string) => getResource<Template>(`/templates/${id(templateId)}`),
  create: (body: Record<string, unknown>) => send<Template>("POST", "/templates", { json: body }),
  update: (templateId: string, body: Record<string, unknown>) => send<Template>("PATCH", `/templates/${id(templateId)}`, { json: body }),
  remove: (templateId: string) => send<void>("DELETE", `/templates/${id(templateId)}`),
  /** The rendered report, in the template's format (its type on the Blob). */
  preview: (templateId: string, body: { variables: Record<string, unknown>; data?: unknown }) =>
    send<Blob>("POST", `/templates/${id(templateId)}/preview`, { json: body, reply: "blob" }),
  /** An unsaved draft, rendered the same way. */
  previewDraft: (body: { template: Pick<Template, "name" | "body" | "format" | "variables">; variables: Record<string, unknown>; data?: unknown }) =>
    send<Blob>("POST", "/templates/preview", { json: body, reply: "blob" }),
};

export const documents = {
  list: (query: Query) => getResource<Page<DocumentItem>>("/documents", query),
  remove: (documentId: string) => send<void>("DELETE", `/documents/${id(documentId)}`),
  upload: (file: File) => send<Upload>("POST", "/uploads", { query: { name: file.name }, file }),
  discardUpload: (uploadId: string) => send<void>("DELETE", `/uploads/${id(uploadId)}`),
  register: (body: { uploadId: string; collection: string; name?: string }) => send<DocumentItem>("POST", "/documents", { json: body }),
  search: (query: Query) => getResource<SearchResult>("/search", query),
};

export const keys = {
  list: (query: Query) => getResource<{ items: ApiKey[] }>("/keys", query),
  create: (body: { name: string; tenant: string; scopes: KeyScope[] }) => send<CreatedKey>("POST", "/keys", { json: body }),
  revoke: (keyId: string) => send<ApiKey>("DELETE", `/keys/${id(keyId)}`),
};

export const settings = {
  get: (tenant?: string) => getResource<TenantSettings>("/settings", { tenant }),
  put: (body: SettingsUpdate, tenant?: string) => send<TenantSettings>("PUT", "/settings", { json: body, query: { tenant } }),
};

export const rateLimits = {
  list: () => getResource<{ items: RateLimitRule[] }>("/rate-limits"),
  put: (action: string, rule: Pick<RateLimitRule, "limit" | "windowMs" | "mode">) =>
    send<RateLimitRule>("PUT", `/rate-limits/${id(action)}`, { json: rule }),
  remove: (action: string) => send<void>("DELETE", `/rate-limits/${id(action)}`),
};
