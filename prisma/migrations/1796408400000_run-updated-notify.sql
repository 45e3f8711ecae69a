-- Up Migration
-- Every change a subscriber can see (status, progress, attempts) NOTIFYs `dmasim_run_updated`,
-- from whichever writer made it (API, worker, reconciler), delivered at commit. The payload is the
-- run as it stands after the change (JSON, the run columns under the names the run repository
-- maps, the seed as a string), so a listener need not read it again; a payload that would not fit
-- PostgreSQL's 8000-byte limit is the run id alone (the listener then reads the run). API
-- processes LISTEN on it for runUpdated and batchUpdated. This replaces BullMQ's job events (a
-- Redis stream read by every API process), which cost each API process a stream read and each
-- subscriber a run read per job event, and never saw the changes made in PostgreSQL alone (a
-- cancel, the reconciler's). Notifications with the same payload in one transaction are delivered
-- once.
CREATE FUNCTION run_updated_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload text;
BEGIN
  payload := json_build_object(
    'id', NEW.id, 'teamId', NEW.team_id, 'scenarioId', NEW.scenario_id,
    'scenarioVersionId', NEW.scenario_version_id, 'batchId', NEW.batch_id, 'profile', NEW.profile,
    'overlays', NEW.overlays, 'seed', NEW.seed::text, 'engineVersion', NEW.engine_version,
    'status', NEW.status, 'trigger', NEW.trigger, 'idempotencyKey', NEW.idempotency_key,
    'attempts', NEW.attempts, 'progress', NEW.progress, 'errorCode', NEW.error_code,
    'errorMessage', NEW.error_message, 'resultHash', NEW.result_hash, 'createdAt', NEW.created_at,
    'startedAt', NEW.started_at, 'finishedAt', NEW.finished_at, 'timeLimitMs', NEW.time_limit_ms,
    'operationsCap', NEW.operations_cap, 'verdict', NEW.verdict, 'summary', NEW.summary
  )::text;
  IF octet_length(payload) >= 7900 THEN
    payload := NEW.id::text;
  END IF;
  PERFORM pg_notify('dmasim_run_updated', payload);
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
