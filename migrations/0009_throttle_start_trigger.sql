-- A throttled job's start is logged by the claim that makes it running, in the same statement:
-- the gate that admitted it counted the log just before, so no other claim can slip in between,
-- and claims of jobs that are not throttled pay nothing for it.
CREATE TRIGGER `jobs_throttle_start` AFTER UPDATE OF `status` ON `jobs`
WHEN new.status = 'running' AND new.throttle_key IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO rate_limit_hits (tenant, action, key, at, job_id)
  VALUES (new.tenant, substr(new.throttle_key, 1, instr(new.throttle_key, char(10)) - 1),
          substr(new.throttle_key, instr(new.throttle_key, char(10)) + 1), new.heartbeat_at, new.id);
END;
