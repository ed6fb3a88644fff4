// The `edge-jobs/client` entry point (its EdgeJobs class): a typed client of the Edge Jobs API for Node 18+,
// browsers and Workers. It uses only fetch (SSE read from a streaming fetch), TextDecoder and
// web streams (and Web Crypto for `verifySignature`), and imports nothing of the worker but types and
// the signature module it shares with it (test/static/layering.test.ts).
import { type ClientOptions, Http } from "./http";
import { Handlers } from "./handlers";
import { Marketplace } from "./marketplace";
import { Jobs } from "./jobs";
import { Bulk, DeadLetters, Datasets, Documents, Keys, Queues, Reports, Schedules, Settings, Templates, UsageLedger } from "./resources";
import { resumable } from "./sse";
import type { FeedEvent } from "./types";
import { Uploads } from "./uploads";
import { Webhooks } from "./webhooks";
import { SearchAnalytics } from "./search-analytics";

export class EdgeJobs {
  readonly jobs: Jobs;
  readonly schedules: Schedules;
  readonly deadLetters: DeadLetters;
  readonly templates: Templates;
  readonly reports: Reports;
  readonly uploads: Uploads;
  readonly datasets: Datasets;
  readonly documents: Documents;
  readonly keys: Keys;
  readonly settings: Settings;
  readonly queues: Queues;
  readonly bulk: Bulk;
  readonly usage: UsageLedger;
  readonly handlers: Handlers;
  readonly marketplace: Marketplace;
  readonly webhooks: Webhooks;
  readonly searchAnalytics: SearchAnalytics;
  private readonly http: Http;

  constructor(options: ClientOptions) {
    this.http = new Http(options);
    this.jobs = new Jobs(this.http);
    this.schedules = new Schedules(this.http);
    this.deadLetters = new DeadLetters(this.http);
    this.templates = new Templates(this.http);
    this.reports = new Reports(this.http);
    this.uploads = new Uploads(this.http);
    this.datasets = new Datasets(this.http);
    this.documents = new Documents(this.http);
    this.keys = new Keys(this.http);
    this.settings = new Settings(this.http);
    this.queues = new Queues(this.http);
    this.bulk = new Bulk(this.http);
    this.usage = new UsageLedger(this.http);
    this.handlers = new Handlers(this.http);
    this.marketplace = new Marketplace(this.http);
    this.webhooks = new Webhooks(this.http);
    this.searchAnalytics = new SearchAnalytics(this.http);
  }

  /**
   * The tenant's live feed (GET /events): every job created or changing status, and progress.
   * It never ends by itself: stop it with `signal` or by leaving the `for await` loop. Reconnects
   * with `after=<seq>` like `jobs.watch`, each seq once.
   */
  events(options: { after?: number; signal?: AbortSignal } = {}): AsyncGenerator<FeedEvent, void, undefined> {
    return resumable<FeedEvent>(this.http, "/events", options);
  }

  /** Full-text search over indexed document chunks (the same as `documents.search`). */
  search(q: string, options?: { collection?: string; limit?: number }) {
    return this.documents.search(q, options);
  }
}

export { EdgeJobsError } from "./errors";
export { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER, type VerifyOptions, verifySignature } from "../handlers/signature";
export type { ClientOptions, RetryOptions } from "./http";
export { isFinalEvent, type WatchOptions } from "./jobs";
export { MIN_PART_BYTES, type UploadOptions } from "./uploads";
export type { Lane } from "./resources";
export type * from "./types";
export type * from "./marketplace";
export type * from "./search-analytics";
