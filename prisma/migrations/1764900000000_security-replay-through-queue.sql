-- Up Migration
-- A replay is now an ordinary run on the run queue (never executed in the API process): the
-- replay row links that run and holds no hash until the run's results are stored.
ALTER TABLE run_replay ADD COLUMN replay_run_id uuid REFERENCES run (id) ON DELETE SET NULL;
ALTER TABLE run_replay ALTER COLUMN actual_hash DROP NOT NULL;
ALTER TABLE run_replay ALTER COLUMN identical DROP NOT NULL;
CREATE UNIQUE INDEX run_replay_replay_run_idx ON run_replay (replay_run_id) WHERE replay_run_id IS NOT NULL;

-- Down Migration
DROP INDEX run_replay_replay_run_idx;
DELETE FROM run_replay WHERE actual_hash IS NULL OR identical IS NULL;
ALTER TABLE run_replay ALTER COLUMN identical SET NOT NULL;
ALTER TABLE run_replay ALTER COLUMN actual_hash SET NOT NULL;
ALTER TABLE run_replay DROP COLUMN replay_run_id;
