// Every shape here is the server's own: `z.infer` / `z.input` of its zod schemas (src/schemas/, and each
// job type's input schema in src/jobs/), imported as types only, so nothing of the worker is bundled.
import type { z } from "zod";
import type { batch } from "../jobs/batch";
import type { bulkImport } from "../jobs/bulk-import";
import type { documentIngest } from "../jobs/document-ingest";
import type { exportJob } from "../jobs/export";
import type { httpRequest } from "../jobs/http-request";
import type { jobsBulk } from "../jobs/jobs-bulk";
import type { reportGenerate } from "../jobs/report-generate";
import type { simulate } from "../jobs/simulate";
import type { ErrorSchema } from "../schemas/common";
import type {
  AttemptListSchema,
  BatchResultSchema,
  ErrorInfoSchema,
  JobLogListSchema,
  JobSchema,
  JobStatusSchema,
  ListJobsQuery,
  ProgressSchema,
  SubmitJobSchema,
} from "../schemas/job";
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
import type { UploadSchema, UploadedPartSchema } from "../schemas/upload";

type InputOf<D extends { input: z.ZodType }> = z.input<D["input"]>;

/**
 * The built-in job types and the input each accepts. The keys are the definitions' `type` strings
 * (`defineJob` widens them to `string`, so they are named here; test/client checks them against src/jobs).
 */
export interface JobInputs {
  simulate: InputOf<typeof simulate>;
  "http.request": InputOf<typeof httpRequest>;
  "report.generate": InputOf<typeof reportGenerate>;
  "bulk.import": InputOf<typeof bulkImport>;
  export: InputOf<typeof exportJob>;
  batch: InputOf<typeof batch>;
  "document.ingest": InputOf<typeof documentIngest>;
  "jobs.bulk": InputOf<typeof jobsBulk>;
}
export type JobType = keyof JobInputs;

export type Job = z.infer<typeof JobSchema>;
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

/**
 * A page of any list route (`listOf` in src/schemas/common.ts). Routes whose item schema is
 * declared inside src/api (datasets, documents, dead letters, keys, settings, search) are typed
 * `JsonObject` until those schemas move to src/schemas, which the client may import.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export type JsonObject = Record<string, unknown>;

/**
 * A job's event stream (GET /jobs/{id}/events): the server declares it with TypeScript types in
 * src/engine, not a schema, so it is composed here from the schemas' parts.
 */
export type JobEvent =
  | { type: "snapshot"; seq: number; job: Job }
  | ({ type: "progress"; seq: number; at: string; attempt: number } & Progress)
  | { type: "status"; seq: number; at: string; status: JobStatus; attempt: number; error?: JobError | null };

/** The tenant feed (GET /events): `reset` means "refetch what you show". */
export type FeedEvent =
  | { type: "job"; seq: number; at: string; job: Pick<Job, "id" | "type" | "status" | "priority"> & { attempt: number } }
  | { type: "progress"; seq: number; at: string; job: { id: string } & Progress }
  | { type: "reset"; seq: number };
