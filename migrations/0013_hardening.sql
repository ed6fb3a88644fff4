CREATE TABLE `secrets` (
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`ciphertext` text NOT NULL,
	`iv` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant`, `name`)
);
--> statement-breakpoint
ALTER TABLE `schedule_runs` ADD `skipped_reason` text;--> statement-breakpoint
ALTER TABLE `tenant_settings` ADD `quotas` text;