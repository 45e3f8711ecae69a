-- Up Migration
-- Liveness of a RUNNING run: the engine thread executing it stamps heartbeat_at when it starts and
-- with every progress update. The reconciler re-queues a RUNNING run whose job vanished from Redis
-- only once this stamp is stale, so a run whose executor is still alive is never started twice.
ALTER TABLE run ADD COLUMN heartbeat_at timestamptz(3);

-- Down Migration
ALTER TABLE run DROP COLUMN heartbeat_at;
