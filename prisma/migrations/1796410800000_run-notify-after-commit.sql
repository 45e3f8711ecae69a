-- Up Migration
-- A transaction that NOTIFYs takes PostgreSQL's cluster-wide notification lock before its commit
-- record and holds it until the commit is flushed (async.c, PreCommit_Notify): notifying commits
-- run one at a time, each across its WAL flush. The two writes every run makes on its hot path
-- (RUNNING, and the result with SUCCEEDED) queued on that lock (wait event Lock:object) behind each
-- other whenever several workers committed at once, and more so the more runs were in flight on a
-- busy host. Those two statements now ask the trigger to leave the notification to them
-- (run_notify_after_commit()) and send the same payload right after their commit, in a transaction
-- of its own that commits without waiting for the flush (run_updated_notify_now): the lock is held
-- for microseconds, and the durable commits join PostgreSQL's group commit. Every other writer
-- (cancel, progress, failures, the reconciler, an operator's UPDATE) is notified by the trigger as
-- before. A notification lost between the two (the writer died in between) costs a subscriber its
-- safety re-read, at most a poll interval.

-- The payload the trigger sends: the run as it stands (JSON under the run repository's names, the
-- seed as a string), or the run id alone past PostgreSQL's 8000-byte limit.
CREATE OR REPLACE FUNCTION run_updated_payload(r run) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  payload text;
BEGIN
  payload := json_build_object(
    'id', r.id, 'teamId', r.team_id, 'scenarioId', r.scenario_id,
    'scenarioVersionId', r.scenario_version_id, 'batchId', r.batch_id, 'profile', r.profile,
    'overlays', r.overlays, 'seed', r.seed::text, 'engineVersion', r.engine_version,
    'status', r.status, 'trigger', r.trigger, 'idempotencyKey', r.idempotency_key,
    'attempts', r.attempts, 'progress', r.progress, 'errorCode', r.error_code,
    'errorMessage', r.error_message, 'resultHash', r.result_hash, 'createdAt', r.created_at,
    'startedAt', r.started_at, 'finishedAt', r.finished_at, 'timeLimitMs', r.time_limit_ms,
    'operationsCap', r.operations_cap, 'verdict', r.verdict, 'summary', r.summary,
    'revision', r.revision
  )::text;
  IF octet_length(payload) >= 7900 THEN
    RETURN r.id::text;
  END IF;
  RETURN payload;
END $$;

-- Called inside a writing statement (it returns true, for a WHERE clause): the run trigger's
-- notifications for the rest of this transaction are left to the writer, which sends them with
-- run_updated_notify_now() after its commit. AFTER ROW triggers fire at the end of the statement,
-- after every part of it was evaluated, so the setting is in place whatever the plan's order.
CREATE FUNCTION run_notify_after_commit() RETURNS boolean LANGUAGE sql VOLATILE AS $$
  SELECT set_config('dmasim.run_notify', 'after_commit', true) IS NOT NULL
$$;

-- Sends a run notification in the current (single-statement) transaction, committed without
-- waiting for its WAL flush: a notification is not data, and it must not hold the notification
-- lock across a flush.
CREATE FUNCTION run_updated_notify_now(payload text) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_notify('dmasim_run_updated', payload);
END $$;

CREATE OR REPLACE FUNCTION run_updated_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('dmasim.run_notify', true) = 'after_commit' THEN
    RETURN NULL;
  END IF;
  PERFORM pg_notify('dmasim_run_updated', run_updated_payload(NEW));
  RETURN NULL;
END $$;

-- Down Migration
-- The trigger notifies every change itself again; run_updated_payload stays (the same payload the
-- trigger built inline before).
CREATE OR REPLACE FUNCTION run_updated_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('dmasim_run_updated', run_updated_payload(NEW));
  RETURN NULL;
END $$;
DROP FUNCTION run_updated_notify_now(text);
DROP FUNCTION run_notify_after_commit();
