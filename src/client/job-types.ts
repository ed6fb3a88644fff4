// The built-in job types, each with the input and result schemas of its definition (src/jobs/),
// imported as types only: a job of a known type is typed by them.
import type { z } from "zod";
import type { batch } from "../jobs/batch";
import type { bulkImport } from "../jobs/bulk-import";
import type { documentIngest } from "../jobs/document-ingest";
import type { exportJob } from "../jobs/export";
import type { fileAnalyze } from "../jobs/file-analyze";
import type { fileTransform } from "../jobs/file-transform";
import type { httpRequest } from "../jobs/http-request";
import type { jobsBulk } from "../jobs/jobs-bulk";
import type { reportGenerate } from "../jobs/report-generate";
import type { simulate } from "../jobs/simulate";
import type { JobSchema } from "../schemas/job";

/**
 * The built-in job types' definitions by type. The keys are the definitions' `type` strings
 * (`defineJob` widens them to `string`, so they are named here; test/client checks them against src/jobs).
 */
interface Definitions {
  simulate: typeof simulate;
  "http.request": typeof httpRequest;
  "report.generate": typeof reportGenerate;
  "bulk.import": typeof bulkImport;
  export: typeof exportJob;
  batch: typeof batch;
  "document.ingest": typeof documentIngest;
  "jobs.bulk": typeof jobsBulk;
  "file.analyze": typeof fileAnalyze;
  "file.transform": typeof fileTransform;
}
export type JobType = keyof Definitions;

/** The input each built-in type accepts. */
export type JobInputs = { [T in JobType]: z.input<Definitions[T]["input"]> };
/** The result each built-in type's jobs complete with. */
export type JobResults = { [T in JobType]: z.output<NonNullable<Definitions[T]["result"]>> };

type JobView = z.infer<typeof JobSchema>;

/**
 * A job. Of a built-in type `T` (`Job<"simulate">`, what `jobs.submit("simulate", …)` answers),
 * its input and result are that type's; of any other type, any JSON.
 */
export type Job<T extends string = string> = T extends JobType
  ? Omit<JobView, "type" | "input" | "result"> & { type: T; input: z.output<Definitions[T]["input"]>; result: JobResults[T] | null }
  : JobView;

/** GET /jobs/{id}/result: a completed job's result. */
export interface JobResult<T extends string = string> {
  id: string;
  status: "completed";
  result: T extends JobType ? JobResults[T] : unknown;
}

/** A job named by its id, or by the job itself (whose type then types the answer). */
export type JobRef<T extends string = string> = string | { id: string; type: T };
