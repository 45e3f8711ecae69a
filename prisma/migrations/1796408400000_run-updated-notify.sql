-- Up Migration
-- Every change a subscriber can see (status, progress, attempts) NOTIFYs `dmasim_run_updated` with
-- the run id, from whichever writer made it (API, worker, reconciler). Delivered at commit, so a
-- listener reads the state it was told about. API processes LISTEN on it for runUpdated and
-- batchUpdated; this replaces BullMQ's job events (a Redis stream read by every API process), which
-- cost each API process a stream read and the subscribers a run read per job event, and never saw
-- the changes made in PostgreSQL alone (a cancel, the reconciler's). Notifications with the same
-- payload in one transaction are delivered once.
CREATE FUNCTION run_updated_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('dmasim_run_updated', NEW.id::text);
  RETURN NULL;
END $$;

CREATE TRIGGER run_updated_notify AFTER UPDATE OF status, progress, attempts ON run
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.progress IS DISTINCT FROM NEW.progress
        OR OLD.attempts IS DISTINCT FROM NEW.attempts)
  EXECUTE FUNCTION run_updated_notify();

-- Down Migration
DROP TRIGGER run_updated_notify ON run;
DROP FUNCTION run_updated_notify();
