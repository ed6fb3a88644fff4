CREATE TABLE `report_versions` (
	`report_id` text NOT NULL,
	`version` integer NOT NULL,
	`tenant` text NOT NULL,
	`format` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`template_id` text,
	`context_hash` text,
	`job_id` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`report_id`, `version`)
);
--> statement-breakpoint
CREATE INDEX `report_versions_tenant_sha` ON `report_versions` (`tenant`,`sha256`);--> statement-breakpoint
CREATE UNIQUE INDEX `report_versions_job` ON `report_versions` (`report_id`,`job_id`) WHERE job_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `reports` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`latest_version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reports_tenant_name` ON `reports` (`tenant`,`name`);--> statement-breakpoint
CREATE INDEX `reports_tenant_id` ON `reports` (`tenant`,`id`);--> statement-breakpoint
CREATE TABLE `templates` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`format` text NOT NULL,
	`variables` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `templates_tenant_name` ON `templates` (`tenant`,`name`);--> statement-breakpoint
CREATE INDEX `templates_tenant_id` ON `templates` (`tenant`,`id`);