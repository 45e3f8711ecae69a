-- Up Migration
-- Why the last firing of a schedule was skipped (issue 20, item 12): MIN_INTERVAL (too soon after
-- the last firing), OVERLAP (the previous batch still runs) or QUEUE_FULL (the team's queued-run cap).
ALTER TABLE schedule ADD COLUMN last_skip_reason text
  CHECK (last_skip_reason IS NULL OR last_skip_reason IN ('MIN_INTERVAL', 'OVERLAP', 'QUEUE_FULL'));

-- Down Migration
ALTER TABLE schedule DROP COLUMN last_skip_reason;
