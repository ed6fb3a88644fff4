CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`tenant` text NOT NULL,
	`scopes` text NOT NULL,
	`hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant` ON `api_keys` (`tenant`,`created_at`);--> statement-breakpoint
CREATE TABLE `attempts` (
	`job_id` text NOT NULL,
	`series` integer NOT NULL,
	`attempt` integer NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`outcome` text NOT NULL,
	`error` text,
	PRIMARY KEY(`job_id`, `series`, `attempt`)
);
--> statement-breakpoint
CREATE INDEX `attempts_finished` ON `attempts` (`finished_at`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`job_id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`failed_at` integer NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `dead_letters_tenant_failed` ON `dead_letters` (`tenant`,`failed_at`);--> statement-breakpoint
CREATE TABLE `job_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` text NOT NULL,
	`at` integer NOT NULL,
	`attempt` integer NOT NULL,
	`level` text NOT NULL,
	`message` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `job_logs_job` ON `job_logs` (`job_id`,`id`);--> statement-breakpoint
CREATE TABLE `job_tags` (
	`tenant` text NOT NULL,
	`tag` text NOT NULL,
	`job_id` text NOT NULL,
	PRIMARY KEY(`tenant`, `tag`, `job_id`)
);
--> statement-breakpoint
CREATE INDEX `job_tags_job` ON `job_tags` (`job_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
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
	`progress_message` text
);
--> statement-breakpoint
CREATE INDEX `jobs_tenant_id` ON `jobs` (`tenant`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_tenant_status_id` ON `jobs` (`tenant`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_tenant_type_id` ON `jobs` (`tenant`,`type`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_tenant_priority_id` ON `jobs` (`tenant`,`priority`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_tenant_finished` ON `jobs` (`tenant`,`finished_at`);--> statement-breakpoint
CREATE INDEX `jobs_waiting_dispatch` ON `jobs` (`dispatch_due_at`) WHERE status IN ('queued', 'retrying');--> statement-breakpoint
CREATE INDEX `jobs_running_heartbeat` ON `jobs` (`heartbeat_at`) WHERE status = 'running';--> statement-breakpoint
CREATE INDEX `jobs_active_lane` ON `jobs` (`priority`,`status`,`run_at`) WHERE status IN ('queued', 'retrying', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_tenant_idempotency` ON `jobs` (`tenant`,`idempotency_key`) WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
CREATE TABLE `lanes` (
	`name` text PRIMARY KEY NOT NULL,
	`paused` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
