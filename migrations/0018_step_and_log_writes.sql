-- Fewer D1 rows written per durable step and log line (issue 12). `job_steps` becomes WITHOUT
-- ROWID (a checkpoint is its key, one row written instead of the row and an autoindex entry);
-- `job_logs` loses AUTOINCREMENT (whose sqlite_sequence row was written with every line) and its
-- (job_id, id) index: lines are listed through (job_id, at), whose rowid completes the order.
CREATE TABLE `job_steps_rebuilt` (
	`job_id` text NOT NULL,
	`series` integer NOT NULL,
	`name` text NOT NULL,
	`value` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`job_id`, `series`, `name`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `job_steps_rebuilt` (`job_id`, `series`, `name`, `value`, `at`) SELECT `job_id`, `series`, `name`, `value`, `at` FROM `job_steps`;
--> statement-breakpoint
DROP TABLE `job_steps`;
--> statement-breakpoint
ALTER TABLE `job_steps_rebuilt` RENAME TO `job_steps`;
--> statement-breakpoint
CREATE TABLE `job_logs_rebuilt` (
	`id` integer PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`at` integer NOT NULL,
	`attempt` integer NOT NULL,
	`level` text NOT NULL,
	`message` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `job_logs_rebuilt` (`id`, `job_id`, `at`, `attempt`, `level`, `message`) SELECT `id`, `job_id`, `at`, `attempt`, `level`, `message` FROM `job_logs`;
--> statement-breakpoint
DROP TABLE `job_logs`;
--> statement-breakpoint
ALTER TABLE `job_logs_rebuilt` RENAME TO `job_logs`;
--> statement-breakpoint
CREATE INDEX `job_logs_entry` ON `job_logs` (`job_id`,`at`);
