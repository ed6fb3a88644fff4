-- Monotonic totals for GET /metrics (Prometheus counters never go down). The clock's roll-up adds
-- to them and nothing takes from them: `submitted` as the id watermark passes jobs (the same batch
-- that fills `job_rollups`), finishes, retries and run times as `finished_before` passes the jobs'
-- `finished_at` (src/stats/totals.ts). A job's own writes never touch this table, and retention
-- deleting a job leaves its counts. Counting starts at this migration: nothing is backfilled.
CREATE TABLE `job_metric_totals` (
	`tenant` text NOT NULL,
	`type` text NOT NULL,
	`priority` text NOT NULL,
	`submitted` integer DEFAULT 0 NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`retried` integer DEFAULT 0 NOT NULL,
	`runs` integer DEFAULT 0 NOT NULL,
	`run_ms` integer DEFAULT 0 NOT NULL,
	`le_100ms` integer DEFAULT 0 NOT NULL,
	`le_500ms` integer DEFAULT 0 NOT NULL,
	`le_1s` integer DEFAULT 0 NOT NULL,
	`le_5s` integer DEFAULT 0 NOT NULL,
	`le_15s` integer DEFAULT 0 NOT NULL,
	`le_60s` integer DEFAULT 0 NOT NULL,
	`le_300s` integer DEFAULT 0 NOT NULL,
	`le_1800s` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant`, `type`, `priority`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `job_rollup_marks` ADD `finished_before` integer;
--> statement-breakpoint
UPDATE `job_rollup_marks` SET `finished_before` = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE `name` = 'jobs';
