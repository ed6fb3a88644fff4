-- The finishes, retries and run times GET /metrics counts (job_metric_totals) are no longer found by
-- `finished_at` (a scan of every job each minute: no index has it): the roll-up counts the jobs that
-- have finished when the id watermark passes them, in the batch that fills job_rollups, and this
-- trigger counts a job the watermark already passed when it finishes (a long or replayed one). A job
-- that finishes before the roll-up reaches it costs no write here. As in 0024 otherwise.
DROP TRIGGER `jobs_rollup_status`;
--> statement-breakpoint
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
  INSERT INTO job_metric_totals (tenant, type, priority, completed, failed, retried, runs, run_ms,
      le_100ms, le_500ms, le_1s, le_5s, le_15s, le_60s, le_300s, le_1800s)
    SELECT new.tenant, new.type, new.priority, new.status = 'completed', new.status = 'failed', max(new.attempts - 1, 0),
      r.ms IS NOT NULL, coalesce(r.ms, 0), coalesce(r.ms <= 100, 0), coalesce(r.ms <= 500, 0), coalesce(r.ms <= 1000, 0),
      coalesce(r.ms <= 5000, 0), coalesce(r.ms <= 15000, 0), coalesce(r.ms <= 60000, 0), coalesce(r.ms <= 300000, 0),
      coalesce(r.ms <= 1800000, 0)
    FROM (SELECT new.finished_at - new.started_at AS ms) AS r
    WHERE new.status IN ('completed', 'failed') AND old.id < (SELECT watermark FROM job_rollup_marks WHERE name = 'jobs')
  ON CONFLICT (tenant, type, priority) DO UPDATE SET
    completed = completed + excluded.completed, failed = failed + excluded.failed, retried = retried + excluded.retried,
    runs = runs + excluded.runs, run_ms = run_ms + excluded.run_ms, le_100ms = le_100ms + excluded.le_100ms,
    le_500ms = le_500ms + excluded.le_500ms, le_1s = le_1s + excluded.le_1s, le_5s = le_5s + excluded.le_5s,
    le_15s = le_15s + excluded.le_15s, le_60s = le_60s + excluded.le_60s, le_300s = le_300s + excluded.le_300s,
    le_1800s = le_1800s + excluded.le_1800s;
END;
--> statement-breakpoint
ALTER TABLE `job_rollup_marks` DROP COLUMN `finished_before`;
