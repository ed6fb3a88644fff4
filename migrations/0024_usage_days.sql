-- The usage ledger (src/usage/, GET /api/v1/usage): per tenant and UTC day (`day`, ms of its
-- midnight), what the platform used for it. Each invocation (an API request, a queue consumer batch,
-- a Workflow run, a clock tick) adds its metered counts with one upsert after it answers; a consumer
-- batch's counts are split between its jobs' tenants. `r2_bytes_stored` is the day's peak of the
-- clock's hourly snapshots. Job counts come from the roll-ups: `jobs_submitted` as the watermark
-- passes the jobs, finishes (completed, failed, cancelled) as their minutes are folded into hours,
-- two hours on (GET /usage adds the minutes still kept). Counting starts here: nothing is backfilled.
CREATE TABLE `usage_days` (
	`tenant` text NOT NULL,
	`day` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`d1_queries` integer DEFAULT 0 NOT NULL,
	`d1_rows_read` integer DEFAULT 0 NOT NULL,
	`d1_rows_written` integer DEFAULT 0 NOT NULL,
	`do_requests` integer DEFAULT 0 NOT NULL,
	`workflow_steps` integer DEFAULT 0 NOT NULL,
	`queue_operations` integer DEFAULT 0 NOT NULL,
	`r2_bytes_stored` integer DEFAULT 0 NOT NULL,
	`jobs_submitted` integer DEFAULT 0 NOT NULL,
	`jobs_completed` integer DEFAULT 0 NOT NULL,
	`jobs_failed` integer DEFAULT 0 NOT NULL,
	`jobs_cancelled` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant`, `day`)
) WITHOUT ROWID;
--> statement-breakpoint
-- Cancellations are counted in the finish tables beside completions and failures (the stats read
-- only those two): a rolled-up job cancelled later writes its minute's row, as a late finish does.
ALTER TABLE `job_finishes` ADD `cancelled` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE `job_finish_hours` ADD `cancelled` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- When the clock last snapshotted this database's stored bytes into `usage_days` (hourly).
ALTER TABLE `job_rollup_marks` ADD `stored_at` integer;
--> statement-breakpoint
DROP TRIGGER `jobs_rollup_status`;
--> statement-breakpoint
-- As in 0020, with `cancelled` counted like `completed` and `failed` in `job_finishes`. A migration
-- that rebuilds `jobs` drops this trigger with the table: it must create it again.
CREATE TRIGGER `jobs_rollup_status` AFTER UPDATE OF `status` ON `jobs`
WHEN old.status <> new.status
  AND (old.id < (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs') OR old.status IN ('completed', 'failed', 'cancelled'))
BEGIN
  UPDATE job_rollups SET
    queued = queued + (new.status = 'queued') - (old.status = 'queued'),
    retrying = retrying + (new.status = 'retrying') - (old.status = 'retrying'),
    running = running + (new.status = 'running') - (old.status = 'running'),
    completed = completed + (new.status = 'completed') - (old.status = 'completed'),
    failed = failed + (new.status = 'failed') - (old.status = 'failed'),
    cancelled = cancelled + (new.status = 'cancelled') - (old.status = 'cancelled')
  WHERE tenant = old.tenant AND type = old.type AND priority = old.priority
    AND old.id < (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs');
  INSERT INTO job_finishes (tenant, minute, completed, failed, cancelled)
    SELECT new.tenant, new.finished_at / 60000 * 60000, new.status = 'completed', new.status = 'failed', new.status = 'cancelled'
    WHERE new.status IN ('completed', 'failed', 'cancelled') AND new.finished_at IS NOT NULL
      AND old.id < (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')
  ON CONFLICT (tenant, minute) DO UPDATE SET
    completed = completed + excluded.completed, failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled;
  INSERT INTO job_finishes (tenant, minute, completed, failed, cancelled)
    SELECT old.tenant, old.finished_at / 60000 * 60000, old.status = 'completed', old.status = 'failed', old.status = 'cancelled'
    WHERE old.status IN ('completed', 'failed', 'cancelled') AND old.finished_at IS NOT NULL
      AND old.id >= (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')
  ON CONFLICT (tenant, minute) DO UPDATE SET
    completed = completed + excluded.completed, failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled;
END;
