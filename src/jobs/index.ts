import type { JobDefinition } from "./define";
import { batch } from "./batch";
import { bulkImport } from "./bulk-import";
import { documentIngest } from "./document-ingest";
import { exportJob } from "./export";
import { fileAnalyze } from "./file-analyze";
import { fileTransform } from "./file-transform";
import { httpRequest } from "./http-request";
import { jobsBulk } from "./jobs-bulk";
import { reportGenerate } from "./report-generate";
import { simulate } from "./simulate";

/** Every job type the platform runs. Add yours here. */
export const jobDefinitions: readonly JobDefinition[] = [
  simulate,
  httpRequest,
  reportGenerate,
  bulkImport,
  exportJob,
  batch,
  documentIngest,
  jobsBulk,
  fileAnalyze,
  fileTransform,
] as JobDefinition[];

export function findJobDefinition(type: string): JobDefinition | undefined {
  return jobDefinitions.find((d) => d.type === type);
}
