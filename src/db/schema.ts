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
  },
  (t) => [primaryKey({ columns: [t.tenant, t.hour] })],
);

/** One row per database (`name` 'jobs'): every job with an id below `watermark` is in `job_rollups`. */
export const jobRollupMarks = sqliteTable("job_rollup_marks", {
  name: text("name").primaryKey(),
  watermark: text("watermark").notNull(),
  /** When the clock last moved the watermark. */
  rolledAt: integer("rolled_at"),
  /** Every job that finished (completed or failed) before this time is in `job_metric_totals` (src/stats/totals.ts). */
  finishedBefore: integer("finished_before"),
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
    format: text("format", { enum: ["markdown", "html", "json", "text", "csv", "pdf"] }).notNull(),
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
    format: text("format", { enum: ["markdown", "html", "json", "text", "csv", "pdf"] }).notNull(),
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
