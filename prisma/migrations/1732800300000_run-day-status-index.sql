-- Up Migration
-- Runs by status per day (dashboard) as an index-only scan instead of a table scan.
CREATE INDEX run_team_created_status_idx ON run (team_id, created_at) INCLUDE (status);

-- Down Migration
DROP INDEX run_team_created_status_idx;
