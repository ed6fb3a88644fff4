-- Finishes per tenant and hour, for the day and week windows of /stats and /stats/history. A finish
-- is a job entering `completed` or `failed`: one that fails again after a retry or a replay has
-- finished twice, and both count. Each finish is counted in exactly one place: among the jobs above
-- the watermark (which still hold it), in `job_finishes` (its minute, for two hours), or here. The
-- roll-up writes finishes older than two hours here directly and folds older minutes into their
-- hour, deleting them in the same batch (src/stats/rollup.ts). Nothing is backfilled: the minutes
-- kept now are folded as they pass two hours, and earlier hours read as zeros.
CREATE TABLE `job_finish_hours` (
	`tenant` text NOT NULL,
	`hour` integer NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant`, `hour`)
) WITHOUT ROWID;
--> statement-breakpoint
DROP TRIGGER `jobs_rollup_status`;
--> statement-breakpoint
-- As in 0016 for the status counts. A finish of a rolled-up job is added to its minute, and it stays
-- there when the job is sent back (retry, replay): in 0016 it was taken out again, so a job that
-- failed twice counted once. A job not rolled up yet that is sent back loses the finish its row
-- held before the roll-up could see it: that finish goes to its minute now. Either way one row
-- written per finish, never one per status change. A migration that rebuilds `jobs` drops this
-- trigger with the table: it must create it again.
CREATE TRIGGER `jobs_rollup_status` AFTER UPDATE OF `status` ON `jobs`
WHEN old.status <> new.status
  AND (old.id < (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs') OR old.status IN ('completed', 'failed'))
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
  INSERT INTO job_finishes (tenant, minute, completed, failed)
    SELECT new.tenant, new.finished_at / 60000 * 60000, new.status = 'completed', new.status = 'failed'
    WHERE new.status IN ('completed', 'failed') AND new.finished_at IS NOT NULL
      AND old.id < (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')
  ON CONFLICT (tenant, minute) DO UPDATE SET completed = completed + excluded.completed, failed = failed + excluded.failed;
  INSERT INTO job_finishes (tenant, minute, completed, failed)
    SELECT old.tenant, old.finished_at / 60000 * 60000, old.status = 'completed', old.status = 'failed'
    WHERE old.status IN ('completed', 'failed') AND old.finished_at IS NOT NULL
      AND old.id >= (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')
  ON CONFLICT (tenant, minute) DO UPDATE SET completed = completed + excluded.completed, failed = failed + excluded.failed;
END;
