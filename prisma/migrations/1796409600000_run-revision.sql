-- Up Migration
-- A run's revision counts the changes a subscriber can see (status, progress, attempts): 0 as
-- inserted, one more at each such change, from whichever writer made it. The run-change
-- notification carries it, and a runUpdated subscriber sends a carried state only when its revision
-- is above the one it last sent: a notification delivered after the subscriber has read a newer
-- state (its own read, on another connection, can overtake the notification connection) would
-- otherwise show an older status or progress once. Status alone cannot order the states: a stalled
-- run goes from RUNNING back to QUEUED, a retried one from FAILED to QUEUED.
ALTER TABLE run ADD COLUMN revision integer NOT NULL DEFAULT 0;

CREATE FUNCTION run_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.revision := OLD.revision + 1;
  RETURN NEW;
END $$;

-- Same condition as run_updated_notify: every notified change has its own revision.
CREATE TRIGGER run_revision_bump BEFORE UPDATE OF status, progress, attempts ON run
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.progress IS DISTINCT FROM NEW.progress
        OR OLD.attempts IS DISTINCT FROM NEW.attempts)
  EXECUTE FUNCTION run_revision_bump();

CREATE OR REPLACE FUNCTION run_updated_notify() RETURNS trigger LANGUAGE plpgsql AS $$
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
    'operationsCap', NEW.operations_cap, 'verdict', NEW.verdict, 'summary', NEW.summary,
    'revision', NEW.revision
  )::text;
  IF octet_length(payload) >= 7900 THEN
    payload := NEW.id::text;
  END IF;
  PERFORM pg_notify('dmasim_run_updated', payload);
  RETURN NULL;
END $$;

-- Down Migration
CREATE OR REPLACE FUNCTION run_updated_notify() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP TRIGGER run_revision_bump ON run;
DROP FUNCTION run_revision_bump();
ALTER TABLE run DROP COLUMN revision;
