-- Up Migration
-- The per-team counters that every run moves (runs per day and status: three times per run through
-- the run table's trigger; violations per day and class, and the dashboard version: once per stored
-- result) were one row per key, so every run's transactions queued on the same few row locks until
-- the holder had committed and flushed its WAL: with four worker processes on two cores, sampled
-- wait events showed more time waiting for those rows (Lock:transactionid) than on anything else.
-- Each key now has up to 16 shard rows; a writer moves the shard of its own connection, so two
-- transactions in flight meet on a row only when their backends' pids agree modulo 16, and readers
-- add the shards up. A decrement may land on another shard than the increment it undoes (a shard's
-- count can go negative); only the sum per key means anything.
CREATE FUNCTION rollup_shard() RETURNS smallint LANGUAGE sql STABLE PARALLEL SAFE
  AS 'SELECT (pg_backend_pid() % 16)::smallint';

ALTER TABLE run_daily_status_count ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE run_daily_status_count DROP CONSTRAINT run_daily_status_count_pkey,
  ADD PRIMARY KEY (team_id, day, status, shard);

ALTER TABLE violation_daily_count ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE violation_daily_count DROP CONSTRAINT violation_daily_count_pkey,
  ADD PRIMARY KEY (team_id, day, class, severity, shard);

ALTER TABLE team_dashboard_version ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE team_dashboard_version DROP CONSTRAINT team_dashboard_version_pkey,
  ADD PRIMARY KEY (team_id, shard);

-- Past days are folded back into shard 0 (DashboardRepository.foldCounterShards, from every
-- worker's reconciler pass), so reads add up 16 rows per key only for the days still written;
-- these indexes find the rows to fold (after a fold they hold only the current day's shard rows).
CREATE INDEX run_daily_status_count_unfolded_idx ON run_daily_status_count (day) WHERE shard <> 0;
CREATE INDEX violation_daily_count_unfolded_idx ON violation_daily_count (day) WHERE shard <> 0;

-- One statement per status change, its rows in status order: transactions that share a shard
-- take the rows' locks in the same order and cannot deadlock on them.
-- A run deleted with its team (ON DELETE CASCADE) moves nothing: the team's counters go with it,
-- and a -1 row inserted for a team already gone would fail the team's deletion.
CREATE OR REPLACE FUNCTION run_daily_status_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM team WHERE id = OLD.team_id) THEN
    RETURN NULL;
  END IF;
  INSERT INTO run_daily_status_count AS c (team_id, day, status, shard, count)
  SELECT d.team_id, (d.created_at AT TIME ZONE 'UTC')::date, d.status, rollup_shard(), d.delta
  FROM (
    SELECT OLD.team_id, OLD.created_at, OLD.status, -1 WHERE TG_OP IN ('UPDATE', 'DELETE')
    UNION ALL
    SELECT NEW.team_id, NEW.created_at, NEW.status, 1 WHERE TG_OP IN ('INSERT', 'UPDATE')
  ) AS d (team_id, created_at, status, delta)
  ORDER BY d.status
  ON CONFLICT (team_id, day, status, shard) DO UPDATE SET count = c.count + EXCLUDED.count;
  RETURN NULL;
END $$;

-- Likewise a triage decision deleted with its team bumps nothing (before, it failed the deletion).
CREATE OR REPLACE FUNCTION team_dashboard_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM team WHERE id = OLD.team_id) THEN
    RETURN NULL;
  END IF;
  INSERT INTO team_dashboard_version AS v (team_id, shard, version)
  VALUES (coalesce(NEW.team_id, OLD.team_id), rollup_shard(), 1)
  ON CONFLICT (team_id, shard) DO UPDATE SET version = v.version + 1;
  RETURN NULL;
END $$;

-- Down Migration
-- Shards fold back into one row per key (their sums); the functions return to one row per key.
DROP INDEX run_daily_status_count_unfolded_idx;
DROP INDEX violation_daily_count_unfolded_idx;
CREATE OR REPLACE FUNCTION run_daily_status_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE run_daily_status_count SET count = count - 1
    WHERE team_id = OLD.team_id AND day = (OLD.created_at AT TIME ZONE 'UTC')::date AND status = OLD.status;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO run_daily_status_count (team_id, day, status, count)
    VALUES (NEW.team_id, (NEW.created_at AT TIME ZONE 'UTC')::date, NEW.status, 1)
    ON CONFLICT (team_id, day, status) DO UPDATE SET count = run_daily_status_count.count + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION team_dashboard_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO team_dashboard_version (team_id, version) VALUES (coalesce(NEW.team_id, OLD.team_id), 1)
  ON CONFLICT (team_id) DO UPDATE SET version = team_dashboard_version.version + 1;
  RETURN NULL;
END $$;

CREATE TEMPORARY TABLE folded_run_daily_status_count ON COMMIT DROP AS
  SELECT team_id, day, status, sum(count)::bigint AS count FROM run_daily_status_count GROUP BY 1, 2, 3;
DELETE FROM run_daily_status_count;
ALTER TABLE run_daily_status_count DROP CONSTRAINT run_daily_status_count_pkey, DROP COLUMN shard;
INSERT INTO run_daily_status_count (team_id, day, status, count) SELECT * FROM folded_run_daily_status_count;
ALTER TABLE run_daily_status_count ADD PRIMARY KEY (team_id, day, status);

CREATE TEMPORARY TABLE folded_violation_daily_count ON COMMIT DROP AS
  SELECT team_id, day, class, severity, sum(count)::bigint AS count FROM violation_daily_count GROUP BY 1, 2, 3, 4;
DELETE FROM violation_daily_count;
ALTER TABLE violation_daily_count DROP CONSTRAINT violation_daily_count_pkey, DROP COLUMN shard;
INSERT INTO violation_daily_count (team_id, day, class, severity, count) SELECT * FROM folded_violation_daily_count;
ALTER TABLE violation_daily_count ADD PRIMARY KEY (team_id, day, class, severity);

CREATE TEMPORARY TABLE folded_team_dashboard_version ON COMMIT DROP AS
  SELECT team_id, sum(version)::bigint AS version FROM team_dashboard_version GROUP BY 1;
DELETE FROM team_dashboard_version;
ALTER TABLE team_dashboard_version DROP CONSTRAINT team_dashboard_version_pkey, DROP COLUMN shard;
INSERT INTO team_dashboard_version (team_id, version) SELECT * FROM folded_team_dashboard_version;
ALTER TABLE team_dashboard_version ADD PRIMARY KEY (team_id);

DROP FUNCTION rollup_shard();
