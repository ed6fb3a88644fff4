CREATE TABLE `housekeeping` (
	`tenant` text PRIMARY KEY NOT NULL,
	`jobs_deleted` integer DEFAULT 0 NOT NULL,
	`last_run_at` integer,
	`last_deleted` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rate_limit_hits` (
	`tenant` text NOT NULL,
	`action` text NOT NULL,
	`key` text NOT NULL,
	`at` integer NOT NULL,
	`job_id` text NOT NULL,
	PRIMARY KEY(`tenant`, `action`, `key`, `at`, `job_id`)
);
--> statement-breakpoint
CREATE INDEX `rate_limit_hits_at` ON `rate_limit_hits` (`at`);--> statement-breakpoint
CREATE TABLE `rate_limit_rules` (
	`tenant` text NOT NULL,
	`action` text NOT NULL,
	`limit` integer NOT NULL,
	`window_ms` integer NOT NULL,
	`mode` text DEFAULT 'reject' NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant`, `action`)
);
--> statement-breakpoint
CREATE TABLE `schedule_runs` (
	`schedule_id` text NOT NULL,
	`instant` integer NOT NULL,
	`trigger` text NOT NULL,
	`tenant` text NOT NULL,
	`job_id` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`schedule_id`, `instant`)
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`cron` text,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`interval_ms` integer,
	`job` text NOT NULL,
	`enabled` integer DEFAULT 1 NOT NULL,
	`starts_at` integer,
	`ends_at` integer,
	`misfire` text DEFAULT 'skip' NOT NULL,
	`catch_up_limit` integer DEFAULT 10 NOT NULL,
	`next_run_at` integer,
	`last_run_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `schedules_tenant_name` ON `schedules` (`tenant`,`name`);--> statement-breakpoint
CREATE INDEX `schedules_tenant_id` ON `schedules` (`tenant`,`id`);--> statement-breakpoint
CREATE INDEX `schedules_due` ON `schedules` (`next_run_at`) WHERE enabled = 1 AND next_run_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `concurrency_key` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `concurrency_limit` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `gated` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `debounce_key` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `debounce_deadline` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `throttle_key` text;--> statement-breakpoint
CREATE INDEX `jobs_concurrency` ON `jobs` (`tenant`,`concurrency_key`,`status`) WHERE concurrency_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_tenant_gated` ON `jobs` (`tenant`,`status`) WHERE gated = 1;--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_tenant_debounce` ON `jobs` (`tenant`,`debounce_key`) WHERE debounce_key IS NOT NULL AND status = 'queued';--> statement-breakpoint
ALTER TABLE `tenant_settings` ADD `job_retention_days` integer;--> statement-breakpoint
ALTER TABLE `tenant_settings` ADD `concurrency_limit` integer;