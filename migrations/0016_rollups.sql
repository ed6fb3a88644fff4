-- Totals that /stats and /queues read instead of counting every job (issue 12). The clock rolls
-- jobs into `job_rollups` in id order (ids are time-ordered): `job_rollup_marks.watermark` says
-- how far, and every job with a smaller id is counted there exactly once, under its current
-- status. Jobs above it, created in the last minute or two, are counted from the jobs' indexes.
-- A plain job finishes before it is rolled up, so it writes nothing here; only a job that changes
-- status once it is rolled up (a delayed or long-running one) moves its count, by the trigger below.
CREATE TABLE `job_rollups` (
	`tenant` text NOT NULL,
	`type` text NOT NULL,
	`priority` text NOT NULL,
	`queued` integer DEFAULT 0 NOT NULL,
	`retrying` integer DEFAULT 0 NOT NULL,
	`running` integer DEFAULT 0 NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`cancelled` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant`, `type`, `priority`)
) WITHOUT ROWID;
--> statement-breakpoint
-- Rolled-up jobs that completed or failed, per minute they finished in; kept for two hours, for the
-- last hour's throughput.
CREATE TABLE `job_finishes` (
	`tenant` text NOT NULL,
	`minute` integer NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant`, `minute`)
) WITHOUT ROWID;
--> statement-breakpoint
-- One row per database: jobs with an id below `watermark` are in `job_rollups`.
CREATE TABLE `job_rollup_marks` (
	`name` text PRIMARY KEY NOT NULL,
	`watermark` text NOT NULL,
	`rolled_at` integer
);
--> statement-breakpoint
INSERT INTO `job_rollup_marks` (`name`, `watermark`, `rolled_at`) VALUES ('jobs', '', NULL);
--> statement-breakpoint
-- A rolled-up job that changes status moves its count within its row (one row write), and one that
-- completes, fails or is sent back from there (retry, replay) is counted in or out of its minute.
-- Jobs not rolled up yet pay one lookup of the single mark row. A migration that rebuilds `jobs`
-- drops this trigger with the table: it must create it again.
CREATE TRIGGER `jobs_rollup_status` AFTER UPDATE OF `status` ON `jobs`
WHEN old.status <> new.status AND old.id < (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')
BEGIN
  UPDATE job_rollups SET
    queued = queued + (new.status = 'queued') - (old.status = 'queued'),
    retrying = retrying + (new.status = 'retrying') - (old.status = 'retrying'),
    running = running + (new.status = 'running') - (old.status = 'running'),
    completed = completed + (new.status = 'completed') - (old.status = 'completed'),
    failed = failed + (new.status = 'failed') - (old.status = 'failed'),
    cancelled = cancelled + (new.status = 'cancelled') - (old.status = 'cancelled')
  WHERE tenant = old.tenant AND type = old.type AND priority = old.priority;
  INSERT INTO job_finishes (tenant, minute, completed, failed)
    SELECT new.tenant, new.finished_at / 60000 * 60000, new.status = 'completed', new.status = 'failed'
    WHERE new.status IN ('completed', 'failed') AND new.finished_at IS NOT NULL
  ON CONFLICT (tenant, minute) DO UPDATE SET completed = completed + excluded.completed, failed = failed + excluded.failed;
  UPDATE job_finishes SET completed = completed - (old.status = 'completed'), failed = failed - (old.status = 'failed')
  WHERE old.status IN ('completed', 'failed') AND tenant = old.tenant AND minute = old.finished_at / 60000 * 60000;
END;
