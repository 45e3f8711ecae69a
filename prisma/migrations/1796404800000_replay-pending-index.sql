-- Up Migration
-- Storing a run's results asks whether a replay waits for that run (the result statement answers it,
-- so the worker records the replay's hash only when one does). Only pending replays are indexed:
-- the index stays as small as the number of replays in flight.
CREATE INDEX run_replay_pending_idx ON run_replay (replay_run_id) WHERE actual_hash IS NULL;

-- Down Migration
DROP INDEX run_replay_pending_idx;
