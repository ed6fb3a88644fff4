import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The D1 schema, in one place. Timestamps are integer milliseconds since the epoch (UTC);
 * the API renders them as ISO-8601. Job ids are time-ordered, so "newest first" and
 * created-at ranges are both plain primary-key ranges.
 *
 * It is longer than 300 lines because it is the one-place schema: one commented table per block,
 * in this order:
 * - jobs and what the job store writes beside them: jobs, job_rollups, job_finishes,
 *   job_finish_hours, job_rollup_marks, job_metric_totals (the counts /stats, /queues and /metrics
 *   read, rolled up by the clock: src/stats/), job_tags, attempts, job_logs, job_steps,
 *   dead_letters, lanes
 * - keys and secrets: api_keys, signed_out_sessions, secrets
 * - reports: templates, reports, report_versions
 * - files and data: uploads, datasets, dataset_rows, batch_items
 * - tenants and time: tenant_settings, tenant_feeds, housekeeping, clock, schedules, schedule_runs,
 *   rate_limit_rules, rate_limit_hits
 * - documents: documents, document_chunks (with their FTS5 index, in the migrations)
 * - usage: usage_days (the per-tenant ledger, src/usage/)
 * - tenants' own job types: job_handlers, handler_waits
 * - webhooks: webhooks, webhook_deliveries
 * - the template marketplace, in the platform database only: marketplace_authors, marketplace_templates
 *   (with its FTS5 index and counting triggers, in the migrations), marketplace_versions,
 *   marketplace_template_tags, marketplace_reviews, marketplace_downloads
 * - search analytics (src/search-analytics/): search_log, search_queries, search_query_days,
 *   search_days, search_history_clears, search_marks, search_vocabulary,
 *   search_vocabulary_documents, search_vocabulary_removals (with its trigger, in the migrations)
 */
export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    type: text("type").notNull(),
    status: text("status", {
      enum: ["queued", "running", "retrying", "completed", "failed", "cancelled"],
    }).notNull(),
    priority: text("priority", { enum: ["critical", "high", "normal", "low"] }).notNull(),
    input: text("input").notNull(),
    result: text("result"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    backoff: text("backoff"),
    tags: text("tags").notNull().default("[]"),
    idempotencyKey: text("idempotency_key"),
    durable: integer("durable").notNull().default(0),
    /** Bumped on every fresh attempt series (replay, manual retry) so a new Workflow instance id is used. */
    series: integer("series").notNull().default(0),
    runAt: integer("run_at").notNull(),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    /**
     * The job row holds its latest attempt (start and outcome): an attempt row is written only
     * once a later attempt or series replaces it, so a job that succeeds first time writes none.
     */
    attemptStartedAt: integer("attempt_started_at"),
    attemptOutcome: text("attempt_outcome", { enum: ["running", "succeeded", "failed", "timed_out", "cancelled"] }),
    finishedAt: integer("finished_at"),
    heartbeatAt: integer("heartbeat_at"),
    /** When the queue message announcing this job is expected to be delivered; the sweeper re-sends overdue ones. */
    dispatchDueAt: integer("dispatch_due_at"),
    claimToken: text("claim_token"),
    /** Set by the job's Durable Object once someone subscribes; runners publish live events only then. */
    watched: integer("watched").notNull().default(0),
    progressPercent: real("progress_percent").notNull().default(0),
    progressStage: text("progress_stage"),
    progressMessage: text("progress_message"),
    /** Jobs sharing a key (per tenant) run at most `concurrencyLimit` at once. */
    concurrencyKey: text("concurrency_key"),
    concurrencyLimit: integer("concurrency_limit"),
    /** 1 when the job must win a concurrency slot (its key's or its tenant's) before it starts. */
    gated: integer("gated").notNull().default(0),
    /** While the job is queued, submissions with the same key update it instead of adding a job. */
    debounceKey: text("debounce_key"),
    /** A debounced job starts no later than this, however many submissions keep pushing it back. */
    debounceDeadline: integer("debounce_deadline"),
    /** For a job whose type is throttled: `<action>\n<key>`, the rate limit its start counts against. */
    throttleKey: text("throttle_key"),
  },
  (t) => [
    // D1 bills every index entry a write adds, so a job enters as few as possible (see
    // docs/scaling.md): the table is WITHOUT ROWID (migration 0015), one index serves the list by
    // status and, through one range per status, the unfiltered list; one serves type and priority.
    index("jobs_tenant_status_id").on(t.tenant, t.status, t.id),
    index("jobs_tenant_type_priority_id").on(t.tenant, t.type, t.priority, t.id),
    // Jobs waiting for their queue message (or parked): entered at submit, left at the claim.
    index("jobs_waiting").on(t.priority, t.dispatchDueAt, t.runAt).where(sql`status IN ('queued', 'retrying')`),
    uniqueIndex("jobs_tenant_idempotency").on(t.tenant, t.idempotencyKey).where(sql`idempotency_key IS NOT NULL`),
    index("jobs_concurrency").on(t.tenant, t.concurrencyKey, t.status).where(sql`concurrency_key IS NOT NULL`),
    index("jobs_tenant_gated").on(t.tenant, t.status).where(sql`gated = 1`),
    uniqueIndex("jobs_tenant_debounce").on(t.tenant, t.debounceKey).where(sql`debounce_key IS NOT NULL AND status = 'queued'`),
  ],
);

/**
 * `job_rollups`: per tenant, job type and priority, how many of the jobs below the watermark are in
 * each status. The clock adds jobs in id order; the `jobs_rollup_status` trigger moves a rolled-up
 * job's count when its status changes; retention subtracts the jobs it deletes.
 */
export const jobRollups = sqliteTable(
  "job_rollups",
  {
    tenant: text("tenant").notNull(),
    type: text("type").notNull(),
    priority: text("priority", { enum: ["critical", "high", "normal", "low"] }).notNull(),
    queued: integer("queued").notNull().default(0),
    retrying: integer("retrying").notNull().default(0),
    running: integer("running").notNull().default(0),
    completed: integer("completed").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    cancelled: integer("cancelled").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.type, t.priority] })],
);

/** Rolled-up jobs that completed or failed, per tenant and minute (ms) they finished in; two hours are kept. */
export const jobFinishes = sqliteTable(
  "job_finishes",
  {
    tenant: text("tenant").notNull(),
    minute: integer("minute").notNull(),
    completed: integer("completed").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    /** Cancellations, for the usage ledger (the stats count completed and failed only). */
    cancelled: integer("cancelled").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.minute] })],
);

/**
 * Finishes (a job entering completed or failed; one sent back and finishing again counts again) per
 * tenant and hour (ms), moved here by the roll-up from `job_finishes` once two hours old; eight days
 * are kept, for the day and week windows of the stats.
 */
export const jobFinishHours = sqliteTable(
  "job_finish_hours",
  {
    tenant: text("tenant").notNull(),
    hour: integer("hour").notNull(),
    completed: integer("completed").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    cancelled: integer("cancelled").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.hour] })],
);

/** One row per database (`name` 'jobs'): every job with an id below `watermark` is in `job_rollups`. */
export const jobRollupMarks = sqliteTable("job_rollup_marks", {
  name: text("name").primaryKey(),
  watermark: text("watermark").notNull(),
  /** When the clock last moved the watermark. */
  rolledAt: integer("rolled_at"),
  /** The hour the clock last snapshotted this database's stored bytes into `usage_days` (src/usage/storage.ts). */
  storedAt: integer("stored_at"),
});

/**
 * Monotonic totals per tenant, type and priority, for GET /metrics: only ever added to by the
 * clock's roll-up (src/stats/totals.ts), never by a job's own writes nor taken back by retention.
 * Run times (ms, first start to finish) of finished jobs, with the count at or below each bucket bound.
 */
export const jobMetricTotals = sqliteTable(
  "job_metric_totals",
  {
    tenant: text("tenant").notNull(),
    type: text("type").notNull(),
    priority: text("priority", { enum: ["critical", "high", "normal", "low"] }).notNull(),
    submitted: integer("submitted").notNull().default(0),
    completed: integer("completed").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    retried: integer("retried").notNull().default(0),
    runs: integer("runs").notNull().default(0),
    runMs: integer("run_ms").notNull().default(0),
    le100ms: integer("le_100ms").notNull().default(0),
    le500ms: integer("le_500ms").notNull().default(0),
    le1s: integer("le_1s").notNull().default(0),
    le5s: integer("le_5s").notNull().default(0),
    le15s: integer("le_15s").notNull().default(0),
    le60s: integer("le_60s").notNull().default(0),
    le300s: integer("le_300s").notNull().default(0),
    le1800s: integer("le_1800s").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.type, t.priority] })],
);

export const jobTags = sqliteTable(
  "job_tags",
  {
    tenant: text("tenant").notNull(),
    tag: text("tag").notNull(),
    jobId: text("job_id").notNull(),
  },
  // WITHOUT ROWID (migration 0015): a tag costs one written row, the key itself.
  (t) => [primaryKey({ columns: [t.tenant, t.tag, t.jobId] })],
);

export const attempts = sqliteTable(
  "attempts",
  {
    jobId: text("job_id").notNull(),
    series: integer("series").notNull(),
    attempt: integer("attempt").notNull(),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
    outcome: text("outcome", {
      enum: ["running", "succeeded", "failed", "timed_out", "cancelled"],
    }).notNull(),
    error: text("error"),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.series, t.attempt] }), index("attempts_finished").on(t.finishedAt)],
);

export const jobLogs = sqliteTable(
  "job_logs",
  {
    // No AUTOINCREMENT (migration 0018): its sequence table would be one more row written per line.
    id: integer("id").primaryKey(),
    jobId: text("job_id").notNull(),
    at: integer("at").notNull(),
    attempt: integer("attempt").notNull(),
    level: text("level", { enum: ["debug", "info", "warn", "error"] }).notNull(),
    message: text("message").notNull(),
  },
  (t) => [
    // A job's lines in order (the rowid completes the key), and an entry already written: a
    // durable job's replay hands its finished steps' logs over again. The one index a line enters.
    index("job_logs_entry").on(t.jobId, t.at),
  ],
);

/**
 * A durable job's finished steps, by series: a Workflow instance that is lost (its runtime died)
 * is replaced by one that starts from the first step not listed here, so no finished step runs
 * twice. A job's own Workflow record serves its replays; this serves a new instance.
 */
export const jobSteps = sqliteTable(
  "job_steps",
  {
    jobId: text("job_id").notNull(),
    series: integer("series").notNull(),
    name: text("name").notNull(),
    /** The step's value as JSON text. */
    value: text("value").notNull(),
    at: integer("at").notNull(),
  },
  // WITHOUT ROWID (migration 0018): a checkpoint is one row written, its key.
  (t) => [primaryKey({ columns: [t.jobId, t.series, t.name] })],
);

export const deadLetters = sqliteTable(
  "dead_letters",
  {
    jobId: text("job_id").primaryKey(),
    tenant: text("tenant").notNull(),
    failedAt: integer("failed_at").notNull(),
    error: text("error"),
  },
  (t) => [index("dead_letters_tenant_failed").on(t.tenant, t.failedAt)],
);

export const lanes = sqliteTable("lanes", {
  name: text("name").primaryKey(),
  paused: integer("paused").notNull().default(0),
  updatedAt: integer("updated_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    tenant: text("tenant").notNull(),
    scopes: text("scopes").notNull(),
    hash: text("hash").notNull(),
    prefix: text("prefix").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.hash), index("api_keys_tenant").on(t.tenant, t.createdAt)],
);

/**
 * Dashboard sessions signed out before they expired (their cookies are signed, so the cookie alone
 * cannot say it was signed out): a session named here is refused. In the platform's database;
 * a row is kept until its session would have expired.
 */
export const signedOutSessions = sqliteTable("signed_out_sessions", {
  id: text("id").primaryKey(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * A tenant's named secrets, encrypted at rest with AES-GCM under a key derived from the platform's
 * SECRETS_KEY. The value is never returned by the API; job input refers to it as `{"$secret": name}`.
 */
export const secrets = sqliteTable(
  "secrets",
  {
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    /** base64 of the AES-GCM ciphertext (with its tag). */
    ciphertext: text("ciphertext").notNull(),
    /** base64 of the 12-byte nonce. */
    iv: text("iv").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.name] })],
);

/** Report templates: a Liquid body and the variables it declares. Names are unique per tenant. */
export const templates = sqliteTable(
  "templates",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    format: text("format", { enum: ["markdown", "html", "json", "text", "csv", "pdf", "docx"] }).notNull(),
    /** JSON array of declared variables: name, type, required, default, description. */
    variables: text("variables").notNull(),
    body: text("body").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("templates_tenant_name").on(t.tenant, t.name), index("templates_tenant_id").on(t.tenant, t.id)],
);

/** A report is a named series of versions; names are unique per tenant. */
export const reports = sqliteTable(
  "reports",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    latestVersion: integer("latest_version").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("reports_tenant_name").on(t.tenant, t.name), index("reports_tenant_id").on(t.tenant, t.id)],
);

/**
 * One stored version of a report. The bytes live in R2 under a key derived from the tenant and the
 * content's SHA-256, so identical versions share one object.
 */
export const reportVersions = sqliteTable(
  "report_versions",
  {
    reportId: text("report_id").notNull(),
    version: integer("version").notNull(),
    tenant: text("tenant").notNull(),
    format: text("format", { enum: ["markdown", "html", "json", "text", "csv", "pdf", "docx"] }).notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    templateId: text("template_id"),
    /** SHA-256 of the canonical JSON of what the template was rendered with. */
    contextHash: text("context_hash"),
    /** The job that wrote it: a retried job finds its version instead of writing another. */
    jobId: text("job_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.reportId, t.version] }),
    index("report_versions_tenant_sha").on(t.tenant, t.sha256),
    uniqueIndex("report_versions_job").on(t.reportId, t.jobId).where(sql`job_id IS NOT NULL`),
  ],
);

/** Files brought by a tenant: bytes in R2 (`uploads/<tenant>/<id>`), metadata here. */
export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    contentType: text("content_type").notNull(),
    /** `uploading` while a multipart upload is open; `stored` once its bytes are complete. */
    status: text("status", { enum: ["uploading", "stored"] }).notNull(),
    size: integer("size"),
    sha256: text("sha256"),
    /** R2's id of the open multipart upload. */
    multipartId: text("multipart_id"),
    createdAt: integer("created_at").notNull(),
    completedAt: integer("completed_at"),
  },
  (t) => [index("uploads_tenant_id").on(t.tenant, t.id)],
);

/** A tenant's named dataset: the fields its rows were last imported with. */
export const datasets = sqliteTable(
  "datasets",
  {
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    /** JSON: the declared fields and the key field of the last import. */
    schema: text("schema").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Rows the dataset holds, counted by the imports that write them (src/datasets/rows.ts); the rows quota reads these. */
    rowCount: integer("row_count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.name] })],
);

/**
 * Imported rows. Every row has a key, its key field's value or else its place in the source file,
 * so importing the same rows again (a resumed or retried import) overwrites instead of duplicating.
 */
export const datasetRows = sqliteTable(
  "dataset_rows",
  {
    tenant: text("tenant").notNull(),
    dataset: text("dataset").notNull(),
    key: text("key").notNull(),
    data: text("data").notNull(),
    sourceRow: integer("source_row").notNull(),
    jobId: text("job_id").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.dataset, t.key] })],
);

/** The items of a `batch` job, each with its own outcome. */
export const batchItems = sqliteTable(
  "batch_items",
  {
    jobId: text("job_id").notNull(),
    idx: integer("idx").notNull(),
    status: text("status", { enum: ["pending", "succeeded", "failed", "cancelled"] }).notNull(),
    input: text("input").notNull(),
    result: text("result"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.idx] })],
);

/** Per-tenant settings; a missing row or column means the platform default. */
export const tenantSettings = sqliteTable("tenant_settings", {
  tenant: text("tenant").primaryKey(),
  /** Versions kept per report by the scheduled cleanup; null keeps them all. */
  reportKeepVersions: integer("report_keep_versions"),
  /** Finished jobs older than this many days are deleted by housekeeping; null means the platform default. */
  jobRetentionDays: integer("job_retention_days"),
  /** At most this many of the tenant's jobs run at once; null means no tenant-wide limit. */
  concurrencyLimit: integer("concurrency_limit"),
  /** JSON object of quota overrides set by the platform admin (keys as in `src/quotas/`); null means the defaults. */
  quotas: text("quotas"),
  /** Whether GET /search is recorded for search analytics (src/search-analytics/); null means on. */
  searchAnalytics: integer("search_analytics", { mode: "boolean" }),
  /** Days the search log and its aggregates are kept; null means the platform default. */
  searchRetentionDays: integer("search_retention_days"),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Tenants whose live feed (GET /events) has subscribers, until when: the job store's writes ask
 * for this row alongside each job they move, and publish to the tenant's feed only while it holds.
 * The feed's Durable Object writes it when its first subscriber comes and renews it while any stay.
 */
export const tenantFeeds = sqliteTable("tenant_feeds", {
  tenant: text("tenant").primaryKey(),
  until: integer("until").notNull(),
});

/** What housekeeping removed per tenant, for the stats. */
export const housekeeping = sqliteTable("housekeeping", {
  tenant: text("tenant").primaryKey(),
  jobsDeleted: integer("jobs_deleted").notNull().default(0),
  lastRunAt: integer("last_run_at"),
  lastDeleted: integer("last_deleted").notNull().default(0),
});

/**
 * The clock's lease. The Cron Trigger and the Clock Durable Object's alarm both tick every minute;
 * a tick does its work only if it takes this row for a slot later than the last one taken, so the
 * work of a slot runs once platform-wide however many ticks arrive for it.
 */
export const clock = sqliteTable("clock", {
  name: text("name").primaryKey(),
  /** The latest slot taken: the time a tick was due (for an on-time tick, a whole minute), in ms. */
  slot: integer("slot").notNull(),
  source: text("source", { enum: ["cron", "alarm"] }).notNull(),
  takenAt: integer("taken_at").notNull(),
});

/**
 * Periodic jobs: a cron expression in a time zone, or a fixed interval, and the job to submit.
 * `nextRunAt` is the first instant not yet fired; null once the schedule has ended.
 */
export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    cron: text("cron"),
    timezone: text("timezone").notNull().default("UTC"),
    intervalMs: integer("interval_ms"),
    /** JSON of the job to submit: type, input, priority, tags and the other submit options. */
    job: text("job").notNull(),
    enabled: integer("enabled").notNull().default(1),
    startsAt: integer("starts_at"),
    endsAt: integer("ends_at"),
    misfire: text("misfire", { enum: ["skip", "catch_up"] }).notNull().default("skip"),
    catchUpLimit: integer("catch_up_limit").notNull().default(10),
    nextRunAt: integer("next_run_at"),
    lastRunAt: integer("last_run_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("schedules_tenant_name").on(t.tenant, t.name),
    index("schedules_tenant_id").on(t.tenant, t.id),
    index("schedules_due").on(t.nextRunAt).where(sql`enabled = 1 AND next_run_at IS NOT NULL`),
  ],
);

/** One row per fired instant: the primary key makes each instant fire once, however often the trigger runs. */
export const scheduleRuns = sqliteTable(
  "schedule_runs",
  {
    scheduleId: text("schedule_id").notNull(),
    instant: integer("instant").notNull(),
    /** `schedule` (on time), `catch_up` (missed while the platform was down) or `manual` (POST .../trigger). */
    trigger: text("trigger", { enum: ["schedule", "catch_up", "manual"] }).notNull(),
    tenant: text("tenant").notNull(),
    jobId: text("job_id"),
    /** Why no job was submitted for this instant (a rate limit or a quota refused it); null when one was. */
    skippedReason: text("skipped_reason"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.instant] })],
);

/** A tenant's rate-limit rule for one action (a job type, or `refresh`); overrides the job type's default. */
export const rateLimitRules = sqliteTable(
  "rate_limit_rules",
  {
    tenant: text("tenant").notNull(),
    action: text("action").notNull(),
    limit: integer("limit").notNull(),
    windowMs: integer("window_ms").notNull(),
    mode: text("mode", { enum: ["reject", "throttle"] }).notNull().default("reject"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.action] })],
);

/**
 * The sliding-window log behind rate limits: one row per submission accepted under a `reject` rule
 * and per start under a `throttle` rule. Rows older than the longest window are pruned.
 */
export const rateLimitHits = sqliteTable(
  "rate_limit_hits",
  {
    tenant: text("tenant").notNull(),
    action: text("action").notNull(),
    key: text("key").notNull(),
    at: integer("at").notNull(),
    jobId: text("job_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.action, t.key, t.at, t.jobId] }), index("rate_limit_hits_at").on(t.at)],
);

/** Documents registered into a tenant's collections, and where their ingestion stands. */
export const documents = sqliteTable(
  "documents",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    collection: text("collection").notNull(),
    name: text("name").notNull(),
    uploadId: text("upload_id").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    status: text("status", { enum: ["pending", "extracting", "chunking", "indexing", "completed", "failed"] }).notNull(),
    /** JSON object of the caller's own fields, filterable in the list. */
    metadata: text("metadata").notNull().default("{}"),
    chunks: integer("chunks").notNull().default(0),
    textLength: integer("text_length"),
    error: text("error"),
    jobId: text("job_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("documents_tenant_collection").on(t.tenant, t.collection, t.id),
    index("documents_tenant_id").on(t.tenant, t.id),
    // Deleting a document keeps its upload while another document of the tenant still refers to it.
    index("documents_tenant_upload").on(t.tenant, t.uploadId),
  ],
);

/** Chunks of documents' text; `chunks_fts` (migration 0007) indexes their text for full-text search. */
export const documentChunks = sqliteTable(
  "document_chunks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    documentId: text("document_id").notNull(),
    tenant: text("tenant").notNull(),
    collection: text("collection").notNull(),
    seq: integer("seq").notNull(),
    text: text("text").notNull(),
  },
  (t) => [uniqueIndex("document_chunks_doc_seq").on(t.documentId, t.seq)],
);

/**
 * Job types a tenant serves from its own HTTPS endpoint (src/handlers/). The signing secret is
 * sealed like a tenant secret (AES-GCM under SECRETS_KEY, bound to tenant and `handler:<type>`);
 * after a rotation the previous one still signs, beside the new, until `previousUntil`. A handler's
 * rate limit is the tenant's own rule for its type in `rate_limit_rules`.
 */
export const jobHandlers = sqliteTable(
  "job_handlers",
  {
    tenant: text("tenant").notNull(),
    type: text("type").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON Schema (as JSON text) the input is validated against at submit; null: any JSON object. */
    inputSchema: text("input_schema"),
    maxAttempts: integer("max_attempts").notNull(),
    /** JSON of the retry backoff (src/engine/retry.ts). */
    backoff: text("backoff").notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    concurrencyLimit: integer("concurrency_limit"),
    /** Where the callback URLs handed to the handler point: the origin the handler was registered at. */
    callbackBase: text("callback_base").notNull(),
    secretCiphertext: text("secret_ciphertext").notNull(),
    secretIv: text("secret_iv").notNull(),
    previousCiphertext: text("previous_ciphertext"),
    previousIv: text("previous_iv"),
    previousUntil: integer("previous_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.type] })],
);

/**
 * Handler attempts answered 202: the job stays running under its claim until the handler calls
 * back, or until `deadline` (the attempt's time limit), when the sweeper times the attempt out.
 */
export const handlerWaits = sqliteTable(
  "handler_waits",
  {
    jobId: text("job_id").primaryKey(),
    claimToken: text("claim_token").notNull(),
    deadline: integer("deadline").notNull(),
  },
  (t) => [index("handler_waits_deadline").on(t.deadline)],
);

/**
 * The usage ledger (src/usage/, migration 0024): what the platform used for a tenant on a UTC day
 * (`day`: ms of its midnight). Invocations add their metered counts; the clock adds stored bytes
 * (the day's peak of hourly snapshots) and job counts from its roll-ups. WITHOUT ROWID.
 */
export const usageDays = sqliteTable(
  "usage_days",
  {
    tenant: text("tenant").notNull(),
    day: integer("day").notNull(),
    /** Worker invocations: API requests, queue consumer batches (split by their jobs), Workflow runs, clock ticks. */
    requests: integer("requests").notNull().default(0),
    d1Queries: integer("d1_queries").notNull().default(0),
    d1RowsRead: integer("d1_rows_read").notNull().default(0),
    d1RowsWritten: integer("d1_rows_written").notNull().default(0),
    durableObjectRequests: integer("do_requests").notNull().default(0),
    workflowSteps: integer("workflow_steps").notNull().default(0),
    queueOperations: integer("queue_operations").notNull().default(0),
    r2BytesStored: integer("r2_bytes_stored").notNull().default(0),
    jobsSubmitted: integer("jobs_submitted").notNull().default(0),
    jobsCompleted: integer("jobs_completed").notNull().default(0),
    jobsFailed: integer("jobs_failed").notNull().default(0),
    jobsCancelled: integer("jobs_cancelled").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.day] })],
);

/**
 * A tenant's subscriptions of a URL to job events (src/webhooks/). The signing secret is sealed as
 * a handler's is (src/secrets/signing-secrets.ts). `failures` counts deliveries in a row that used
 * up their attempts; at `pauseAfter` the webhook is paused, with the reason.
 */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON array of the event names delivered. */
    events: text("events").notNull(),
    /** JSON arrays: only jobs of these types, or carrying one of these tags; null: any. */
    types: text("types"),
    tags: text("tags"),
    status: text("status", { enum: ["active", "paused"] }).notNull(),
    pausedReason: text("paused_reason"),
    failures: integer("failures").notNull().default(0),
    pauseAfter: integer("pause_after").notNull(),
    maxAttempts: integer("max_attempts").notNull(),
    /** JSON of the retry backoff (src/engine/retry.ts). */
    backoff: text("backoff").notNull(),
    secretCiphertext: text("secret_ciphertext").notNull(),
    secretIv: text("secret_iv").notNull(),
    previousCiphertext: text("previous_ciphertext"),
    previousIv: text("previous_iv"),
    previousUntil: integer("previous_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhooks_tenant_status").on(t.tenant, t.status)],
);

/** Each event sent (or to send) to a webhook, and how its attempts went. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id").notNull(),
    tenant: text("tenant").notNull(),
    event: text("event").notNull(),
    jobId: text("job_id"),
    /** JSON of the event's data (the job as it was when the event happened). */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "retrying", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    responseStatus: integer("response_status"),
    error: text("error"),
    durationMs: integer("duration_ms"),
    createdAt: integer("created_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [
    index("webhook_deliveries_webhook_id").on(t.webhookId, t.id),
    index("webhook_deliveries_due").on(t.status, t.nextAttemptAt),
  ],
);

// ---------------------------------------------------------------------------------------------
// The template marketplace (src/marketplace/, migration 0025). Unlike everything above, these
// tables are read and written only in the platform database (`platformDatabase`): the marketplace
// is the one place tenants share. Publishing copies a template's content here (a version); a
// download copies a version into the downloader's own shard.
// ---------------------------------------------------------------------------------------------

/**
 * A tenant's public name (`PUT /settings {"marketplace":{"displayName"}}`), the `author` of what it
 * publishes and reviews. Unique across tenants by `nameKey` (NFKC, lower case, spaces collapsed), so
 * no tenant can pass itself off as another; the tenant's own name is never shown.
 */
export const marketplaceAuthors = sqliteTable(
  "marketplace_authors",
  {
    tenant: text("tenant").primaryKey(),
    displayName: text("display_name").notNull(),
    nameKey: text("name_key").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("marketplace_authors_name_key").on(t.nameKey)],
);

/**
 * A published template: its listing (metadata, counters) and the number of its latest version.
 * `seq` is the rowid that `marketplace_fts` (migration 0025) indexes name, description and tags
 * under; it is declared so that it stays stable (an implicit rowid may change on VACUUM).
 * `downloads`, `rating_sum`, `rating_count` and `rating_avg` are kept by triggers on
 * `marketplace_downloads` and `marketplace_reviews`, in the statement that writes those rows.
 */
export const marketplaceTemplates = sqliteTable(
  "marketplace_templates",
  {
    seq: integer("seq").primaryKey(),
    id: text("id").notNull(),
    /** The publishing tenant; never shown (its display name is). */
    publisher: text("publisher").notNull(),
    /** The publisher's template this was published from: publishing it again adds a version. */
    sourceTemplateId: text("source_template_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** JSON array of the tags, as `marketplace_template_tags` holds them one per row. */
    tags: text("tags").notNull().default("[]"),
    format: text("format", { enum: ["markdown", "html", "json", "text", "csv", "pdf", "docx"] }).notNull(),
    latestVersion: integer("latest_version").notNull(),
    /** The preview image in R2 (`marketplace/previews/<sha256>`, content-addressed); null: none. */
    previewSha256: text("preview_sha256"),
    previewType: text("preview_type", { enum: ["image/png", "image/jpeg"] }),
    previewSize: integer("preview_size"),
    downloads: integer("downloads").notNull().default(0),
    ratingSum: integer("rating_sum").notNull().default(0),
    ratingCount: integer("rating_count").notNull().default(0),
    /** rating_sum / rating_count, 0 while unrated: stored so that the top-rated order has an index. */
    ratingAvg: real("rating_avg").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("marketplace_templates_id").on(t.id),
    uniqueIndex("marketplace_templates_source").on(t.publisher, t.sourceTemplateId),
    index("marketplace_templates_publisher").on(t.publisher, t.id),
    index("marketplace_templates_downloads").on(t.downloads, t.id),
    index("marketplace_templates_rating").on(t.ratingAvg, t.ratingCount, t.id),
    index("marketplace_templates_updated").on(t.updatedAt, t.id),
    index("marketplace_templates_preview").on(t.previewSha256).where(sql`preview_sha256 IS NOT NULL`),
  ],
);

/** The content of each published version: a snapshot of the source template when it was published. */
export const marketplaceVersions = sqliteTable(
  "marketplace_versions",
  {
    templateId: text("template_id").notNull(),
    version: integer("version").notNull(),
    format: text("format", { enum: ["markdown", "html", "json", "text", "csv", "pdf", "docx"] }).notNull(),
    /** JSON array of the declared variables, as `templates.variables`. */
    variables: text("variables").notNull(),
    body: text("body").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.templateId, t.version] })],
);

/** A published template's tags, one row each: the tag filter and the statistics read these. */
export const marketplaceTemplateTags = sqliteTable(
  "marketplace_template_tags",
  {
    tag: text("tag").notNull(),
    templateId: text("template_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tag, t.templateId] }), index("marketplace_template_tags_template").on(t.templateId)],
);

/** One review per tenant and template: a second one replaces the first (the triggers adjust the rating by the difference). */
export const marketplaceReviews = sqliteTable(
  "marketplace_reviews",
  {
    id: text("id").primaryKey(),
    templateId: text("template_id").notNull(),
    /** The reviewing tenant; shown only as its display name. */
    tenant: text("tenant").notNull(),
    rating: integer("rating").notNull(),
    comment: text("comment").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("marketplace_reviews_template_tenant").on(t.templateId, t.tenant),
    index("marketplace_reviews_template_id").on(t.templateId, t.id),
  ],
);

/** Who downloaded what: a tenant's first download of a template inserts the row (and its trigger counts it), later ones nothing. */
export const marketplaceDownloads = sqliteTable(
  "marketplace_downloads",
  {
    templateId: text("template_id").notNull(),
    tenant: text("tenant").notNull(),
    version: integer("version").notNull(),
    downloadedAt: integer("downloaded_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.templateId, t.tenant] })],
);

// ------------------------------------------------------------------------------------------------
// Search analytics (src/search-analytics/): the log of GET /search, the aggregates the clock folds
// it into (bounded per tenant), and the vocabulary of each tenant's indexed documents. Tenants' keys start
// with the tenant, and the keyed tables are WITHOUT ROWID (migration 0028): a row is its own index.
// ------------------------------------------------------------------------------------------------

/**
 * Each GET /search of a tenant with search analytics on, as it was asked: one row, keyed by tenant,
 * time and a random `seq` (two searches in one millisecond), so that a search writes one row and
 * no index entry. Kept for the tenant's retention; the clock folds it into the tables below.
 */
export const searchLog = sqliteTable(
  "search_log",
  {
    tenant: text("tenant").notNull(),
    at: integer("at").notNull(),
    seq: integer("seq").notNull(),
    query: text("query").notNull(),
    collection: text("collection"),
    results: integer("results").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.at, t.seq] })],
);

/**
 * Per tenant and normalized query (src/search-analytics/text.ts), its searches within the retention
 * and how many found something. At most MAX_QUERIES_PER_TENANT per tenant: the clock evicts the
 * least searched (then least recent) beyond it, with their days.
 */
export const searchQueries = sqliteTable(
  "search_queries",
  {
    tenant: text("tenant").notNull(),
    normalized: text("normalized").notNull(),
    searches: integer("searches").notNull().default(0),
    found: integer("found").notNull().default(0),
    lastAt: integer("last_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.normalized] })],
);

/** The same counts per UTC day (days since the epoch), for the trending and declining windows and for retention. */
export const searchQueryDays = sqliteTable(
  "search_query_days",
  {
    tenant: text("tenant").notNull(),
    day: integer("day").notNull(),
    normalized: text("normalized").notNull(),
    searches: integer("searches").notNull().default(0),
    found: integer("found").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.day, t.normalized] })],
);

/** A tenant's searches per UTC day, whatever eviction dropped: GET /search/statistics reads these. */
export const searchDays = sqliteTable(
  "search_days",
  {
    tenant: text("tenant").notNull(),
    day: integer("day").notNull(),
    searches: integer("searches").notNull().default(0),
    found: integer("found").notNull().default(0),
    /** The sum of the searches' result counts. */
    results: integer("results").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.day] })],
);

/** When a tenant last cleared its search history: log rows up to then are never folded, and the clock deletes them. */
export const searchHistoryClears = sqliteTable("search_history_clears", {
  tenant: text("tenant").primaryKey(),
  clearedAt: integer("cleared_at").notNull(),
});

/**
 * The clock's progress per database: `log`, every search logged before `value` (ms) is folded;
 * `chunks`, every document chunk with an id up to `value` is in the vocabulary.
 */
export const searchMarks = sqliteTable("search_marks", {
  name: text("name").primaryKey(),
  value: integer("value").notNull(),
});

/** Per tenant, each term of its indexed chunks (as queries are normalized, unstemmed) and how many documents hold it. */
export const searchVocabulary = sqliteTable(
  "search_vocabulary",
  {
    tenant: text("tenant").notNull(),
    term: text("term").notNull(),
    documents: integer("documents").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.term] })],
);

/** The terms counted for each document (a JSON array), so that removing the document takes exactly them back. */
export const searchVocabularyDocuments = sqliteTable("search_vocabulary_documents", {
  documentId: text("document_id").primaryKey(),
  tenant: text("tenant").notNull(),
  terms: text("terms").notNull(),
});

/**
 * Documents whose chunks were deleted (a delete, a new ingestion, a failed one), written by the
 * `document_chunks_vocabulary_ad` trigger: the clock takes their terms out before it counts new chunks.
 */
export const searchVocabularyRemovals = sqliteTable("search_vocabulary_removals", {
  documentId: text("document_id").primaryKey(),
});
