-- Up Migration
-- Per-run time limits (issue 7): a run may carry its own limit (submitRun input), else its team's
-- default, else the worker's RUN_TIME_LIMIT_MS. Both nullable: NULL means "fall through".
ALTER TABLE team ADD COLUMN run_time_limit_ms integer CHECK (run_time_limit_ms IS NULL OR run_time_limit_ms BETWEEN 1000 AND 86400000);
ALTER TABLE run ADD COLUMN time_limit_ms integer CHECK (time_limit_ms IS NULL OR time_limit_ms BETWEEN 1000 AND 86400000);

-- Down Migration
ALTER TABLE run DROP COLUMN time_limit_ms;
ALTER TABLE team DROP COLUMN run_time_limit_ms;
