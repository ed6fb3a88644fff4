CREATE TABLE `tenant_settings` (
	`tenant` text PRIMARY KEY NOT NULL,
	`report_keep_versions` integer,
	`updated_at` integer NOT NULL
);
