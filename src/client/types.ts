// Every shape here is the server's own: `z.infer` / `z.input` of its zod schemas (src/schemas/, and each
// job type's input schema in src/jobs/), imported as types only, so nothing of the worker is bundled.
import type { z } from "zod";
import type { ErrorSchema } from "../schemas/common";
import type { DatasetRowSchema, DatasetSchema } from "../schemas/dataset";
import type { DeadLetterSchema } from "../schemas/dead-letter";
import type { CollectionSchema, DocumentSchema, RegisterDocumentSchema } from "../schemas/document";
import type {
  CreateWebhookSchema,
  CreatedWebhookSchema,
  DeliveryDetailSchema,
  DeliverySchema,
  UpdateWebhookSchema,
  WebhookSchema,
  WebhookSecretSchema,
} from "../schemas/webhook";
import type { CreateHandlerSchema, CreatedHandlerSchema, HandlerSchema, HandlerSecretSchema, UpdateHandlerSchema } from "../schemas/handler";
import type { FeedEventSchema, JobEventSchema } from "../schemas/events";
import type {
  AttemptListSchema,
  BatchResultSchema,
  ErrorInfoSchema,
  JobLogListSchema,
  JobStatusSchema,
  ListJobsQuery,
  ProgressSchema,
  SubmitJobSchema,
} from "../schemas/job";
import type { ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema } from "../schemas/key";
import type { ReportSchema, ReportVersionSchema, StoreReportSchema, StoredVersionSchema } from "../schemas/report";
import type {
  CreateScheduleSchema,
  PreviewScheduleSchema,
  ScheduleRunSchema,
  SchedulePreviewSchema,
  ScheduleSchema,
  UpdateScheduleSchema,
} from "../schemas/schedule";
import type { CreateTemplateSchema, DraftPreviewSchema, PreviewSchema, TemplateSchema, UpdateTemplateSchema } from "../schemas/template";
import type { SearchResultSchema } from "../schemas/search";
import type { SettingsSchema, SettingsUpdateSchema } from "../schemas/settings";
import type { UploadSchema, UploadedPartSchema } from "../schemas/upload";
import type { UsageQuery, UsageSchema } from "../schemas/usage";
import type { JobInputs, JobType } from "./job-types";

export type { Job, JobInputs, JobRef, JobResult, JobResults, JobType } from "./job-types";

export type JobStatus = z.infer<typeof JobStatusSchema>;
export type JobError = z.infer<typeof ErrorInfoSchema>;
export type Progress = z.infer<typeof ProgressSchema>;
export type SubmitJob = z.input<typeof SubmitJobSchema>;
/** Everything of a submission but its type and input. */
export type SubmitOptions = Omit<SubmitJob, "type" | "input">;
/** One job of a batch: a built-in type with its input, or any other registered type. */
export type BatchJob = { [T in JobType]: { type: T; input: JobInputs[T] } & SubmitOptions }[JobType];
export type BatchResult = z.infer<typeof BatchResultSchema>;
/** The list filters; `limit` is the page size. */
export type JobFilters = Partial<Omit<z.infer<typeof ListJobsQuery>, "cursor">>;
export type Attempts = z.infer<typeof AttemptListSchema>;
export type JobLogs = z.infer<typeof JobLogListSchema>;
export type ErrorEnvelope = z.infer<typeof ErrorSchema>;

export type Schedule = z.infer<typeof ScheduleSchema>;
export type CreateSchedule = z.input<typeof CreateScheduleSchema>;
export type UpdateSchedule = z.input<typeof UpdateScheduleSchema>;
export type PreviewSchedule = z.input<typeof PreviewScheduleSchema>;
export type SchedulePreview = z.infer<typeof SchedulePreviewSchema>;
export type ScheduleRun = z.infer<typeof ScheduleRunSchema>;

export type Template = z.infer<typeof TemplateSchema>;
export type CreateTemplate = z.input<typeof CreateTemplateSchema>;
export type UpdateTemplate = z.input<typeof UpdateTemplateSchema>;
export type TemplatePreview = z.input<typeof PreviewSchema>;
export type DraftPreview = z.input<typeof DraftPreviewSchema>;

export type Report = z.infer<typeof ReportSchema>;
export type ReportVersion = z.infer<typeof ReportVersionSchema>;
export type StoreReport = z.input<typeof StoreReportSchema>;
export type StoredVersion = z.infer<typeof StoredVersionSchema>;

export type Upload = z.infer<typeof UploadSchema>;
export type UploadedPart = z.infer<typeof UploadedPartSchema>;

export type Dataset = z.infer<typeof DatasetSchema>;
export type DatasetRow = z.infer<typeof DatasetRowSchema>;
/** A document of a collection (`DocumentRecord`, as `Document` is the DOM's). */
export type DocumentRecord = z.infer<typeof DocumentSchema>;
export type RegisterDocument = z.input<typeof RegisterDocumentSchema>;
export type Collection = z.infer<typeof CollectionSchema>;
export type SearchResult = z.infer<typeof SearchResultSchema>;
export type DeadLetter = z.infer<typeof DeadLetterSchema>;
export type ApiKey = z.infer<typeof ApiKeySchema>;
export type CreateApiKey = z.input<typeof CreateApiKeySchema>;
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;
export type TenantSettings = z.infer<typeof SettingsSchema>;
export type SettingsUpdate = z.input<typeof SettingsUpdateSchema>;

/** A page of any list route (`listOf` in src/schemas/common.ts). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export type JsonObject = Record<string, unknown>;

/** A message of a job's event stream (GET /jobs/{id}/events). */
export type JobEvent = z.infer<typeof JobEventSchema>;

/** A message of the tenant feed (GET /events): `reset` means "refetch what you show". */
export type FeedEvent = z.infer<typeof FeedEventSchema>;

export type CreateHandler = z.input<typeof CreateHandlerSchema>;
export type UpdateHandler = z.input<typeof UpdateHandlerSchema>;
export type Handler = z.infer<typeof HandlerSchema>;
export type CreatedHandler = z.infer<typeof CreatedHandlerSchema>;
export type HandlerSecret = z.infer<typeof HandlerSecretSchema>;

export type CreateWebhook = z.input<typeof CreateWebhookSchema>;
export type UpdateWebhook = z.input<typeof UpdateWebhookSchema>;
export type Webhook = z.infer<typeof WebhookSchema>;
export type CreatedWebhook = z.infer<typeof CreatedWebhookSchema>;
export type WebhookSecret = z.infer<typeof WebhookSecretSchema>;
export type WebhookDelivery = z.infer<typeof DeliverySchema>;
export type WebhookDeliveryDetail = z.infer<typeof DeliveryDetailSchema>;

/** GET /usage: per-day usage, its total and the prices it was costed at. */
export type Usage = z.infer<typeof UsageSchema>;
export type UsageOptions = z.input<typeof UsageQuery>;
