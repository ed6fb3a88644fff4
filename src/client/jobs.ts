import { EdgeJobsError } from "./errors";
import { type Http, paginate, segment } from "./http";
import { resumable } from "./sse";
import type { Attempts, BatchJob, BatchResult, Job, JobEvent, JobFilters, JobInputs, JobLogs, JobRef, JobResult, JobStatus, SubmitOptions } from "./types";

const idOf = (job: JobRef) => (typeof job === "string" ? job : job.id);

const FINAL: ReadonlySet<JobStatus> = new Set(["completed", "failed", "cancelled"]);

/** Whether a job event is the last its stream sends: a final status, or the snapshot of a finished job. */
export function isFinalEvent(event: JobEvent): boolean {
  if (event.type === "status") return FINAL.has(event.status);
  return event.type === "snapshot" && FINAL.has(event.job.status);
}

export interface WatchOptions {
  /** Resume after this seq. */
  after?: number;
  signal?: AbortSignal;
}

export class Jobs {
  constructor(private readonly http: Http) {}

  /** Submits one job; the input is typed by its job type. Answers the job (a repeated idempotency key answers the existing one). */
  submit<T extends keyof JobInputs>(type: T, input: JobInputs[T], options?: SubmitOptions): Promise<Job<T>>;
  submit(type: string, input: unknown, options?: SubmitOptions): Promise<Job>;
  submit(type: string, input: unknown, options: SubmitOptions = {}): Promise<Job> {
    return this.http.json<Job>("POST", "/jobs", { json: { ...options, type, input } });
  }

  /** Up to 1,000 jobs at once: all accepted or none. */
  submitBatch(jobs: BatchJob[]): Promise<BatchResult> {
    return this.http.json<BatchResult>("POST", "/jobs/batch", { json: { jobs } });
  }

  /** Passed the job itself (say, as submitted) rather than its id, answers it typed by its type. */
  get<T extends string>(job: JobRef<T>): Promise<Job<T>> {
    return this.http.json<Job<T>>("GET", `/jobs/${segment(idOf(job))}`);
  }

  /** Every job matching the filters, newest first, across all pages (`limit` is the page size). */
  list(filters: JobFilters = {}): AsyncGenerator<Job, void, undefined> {
    return paginate<Job>(this.http, "/jobs", filters);
  }

  cancel(id: string): Promise<Job> {
    return this.http.json<Job>("POST", `/jobs/${segment(id)}/cancel`);
  }

  retry(id: string): Promise<Job> {
    return this.http.json<Job>("POST", `/jobs/${segment(id)}/retry`);
  }

  /** A completed job's result (409 `not_completed` before), typed by the job's type when given the job. */
  result<T extends string>(job: JobRef<T>): Promise<JobResult<T>> {
    return this.http.json<JobResult<T>>("GET", `/jobs/${segment(idOf(job))}/result`);
  }

  attempts(id: string): Promise<Attempts> {
    return this.http.json<Attempts>("GET", `/jobs/${segment(id)}/attempts`);
  }

  logs(id: string): Promise<JobLogs> {
    return this.http.json<JobLogs>("GET", `/jobs/${segment(id)}/logs`);
  }

  /**
   * The job's events: a snapshot, then progress and status, each seq once and in order, across
   * reconnects; it ends after the final status.
   */
  watch(id: string, options: WatchOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    return resumable<JobEvent>(this.http, `/jobs/${segment(id)}/events`, { ...options, isFinal: isFinalEvent });
  }

  /** Resolves with the finished job (completed, failed or cancelled), watching it rather than polling. */
  async wait<T extends string>(job: JobRef<T>, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Job<T>> {
    const id = idOf(job);
    const controller = new AbortController();
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(timeoutError(id, options.timeoutMs!)), options.timeoutMs);
    const onAbort = () => controller.abort(options.signal!.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const event of this.watch(id, { signal: controller.signal })) {
        if (isFinalEvent(event)) return await this.get(job);
      }
      // The stream ended without a final event only when a resume answered 204: the job is finished.
      return await this.get(job);
    } catch (error) {
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }
}

function timeoutError(id: string, ms: number): EdgeJobsError {
  return new EdgeJobsError(0, "timeout", `job ${id} did not finish within ${ms} ms`);
}
