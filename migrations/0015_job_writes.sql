-- Fewer D1 row writes per job (issue 12). D1 bills each row and each index entry a statement adds.
-- `jobs` becomes WITHOUT ROWID (its text primary key is the table itself, not a second index), its
-- twelve indexes become seven of which a plain job enters three, and the job row carries its latest
-- attempt (attempt_started_at, attempt_outcome): attempt rows are written only for attempts a retry
-- or a new series replaces. Rows already in `attempts` stay as they are. `job_tags` becomes WITHOUT
-- ROWID too, without its job_id index (retention deletes a job's tags by their key, from the job's tags).
CREATE TABLE `jobs_rebuilt` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`priority` text NOT NULL,
	`input` text NOT NULL,
	`result` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`timeout_ms` integer NOT NULL,
	`backoff` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`idempotency_key` text,
	`durable` integer DEFAULT 0 NOT NULL,
	`series` integer DEFAULT 0 NOT NULL,
	`run_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`heartbeat_at` integer,
	`dispatch_due_at` integer,
	`claim_token` text,
	`watched` integer DEFAULT 0 NOT NULL,
	`progress_percent` real DEFAULT 0 NOT NULL,
	`progress_stage` text,
	`progress_message` text,
	`concurrency_key` text,
	`concurrency_limit` integer,
	`gated` integer DEFAULT 0 NOT NULL,
	`debounce_key` text,
	`debounce_deadline` integer,
	`throttle_key` text,
	`attempt_started_at` integer,
	`attempt_outcome` text
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `jobs_rebuilt` (`id`, `tenant`, `type`, `status`, `priority`, `input`, `result`, `error`, `attempts`,
  `max_attempts`, `timeout_ms`, `backoff`, `tags`, `idempotency_key`, `durable`, `series`, `run_at`, `created_at`,
  `started_at`, `finished_at`, `heartbeat_at`, `dispatch_due_at`, `claim_token`, `watched`, `progress_percent`,
  `progress_stage`, `progress_message`, `concurrency_key`, `concurrency_limit`, `gated`, `debounce_key`,
  `debounce_deadline`, `throttle_key`)
SELECT `id`, `tenant`, `type`, `status`, `priority`, `input`, `result`, `error`, `attempts`,
  `max_attempts`, `timeout_ms`, `backoff`, `tags`, `idempotency_key`, `durable`, `series`, `run_at`, `created_at`,
  `started_at`, `finished_at`, `heartbeat_at`, `dispatch_due_at`, `claim_token`, `watched`, `progress_percent`,
  `progress_stage`, `progress_message`, `concurrency_key`, `concurrency_limit`, `gated`, `debounce_key`,
  `debounce_deadline`, `throttle_key`
FROM `jobs`;
--> statement-breakpoint
DROP TABLE `jobs`;
--> statement-breakpoint
ALTER TABLE `jobs_rebuilt` RENAME TO `jobs`;
--> statement-breakpoint
CREATE INDEX `jobs_tenant_status_id` ON `jobs` (`tenant`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_tenant_type_priority_id` ON `jobs` (`tenant`,`type`,`priority`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_waiting` ON `jobs` (`priority`,`dispatch_due_at`,`run_at`) WHERE status IN ('queued', 'retrying');--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_tenant_idempotency` ON `jobs` (`tenant`,`idempotency_key`) WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_concurrency` ON `jobs` (`tenant`,`concurrency_key`,`status`) WHERE concurrency_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_tenant_gated` ON `jobs` (`tenant`,`status`) WHERE gated = 1;--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_tenant_debounce` ON `jobs` (`tenant`,`debounce_key`) WHERE debounce_key IS NOT NULL AND status = 'queued';--> statement-breakpoint
CREATE TRIGGER `jobs_throttle_start` AFTER UPDATE OF `status` ON `jobs`
WHEN new.status = 'running' AND new.throttle_key IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO rate_limit_hits (tenant, action, key, at, job_id)
  VALUES (new.tenant, substr(new.throttle_key, 1, instr(new.throttle_key, char(10)) - 1),
          substr(new.throttle_key, instr(new.throttle_key, char(10)) + 1), new.heartbeat_at, new.id);
END;
--> statement-breakpoint
CREATE TABLE `job_tags_rebuilt` (
	`tenant` text NOT NULL,
	`tag` text NOT NULL,
	`job_id` text NOT NULL,
	PRIMARY KEY(`tenant`, `tag`, `job_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `job_tags_rebuilt` (`tenant`, `tag`, `job_id`) SELECT `tenant`, `tag`, `job_id` FROM `job_tags`;
--> statement-breakpoint
DROP TABLE `job_tags`;
--> statement-breakpoint
ALTER TABLE `job_tags_rebuilt` RENAME TO `job_tags`;
