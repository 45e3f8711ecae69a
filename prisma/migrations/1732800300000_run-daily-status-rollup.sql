-- Up Migration
-- Runs per team, UTC day of submission and current status, kept by a trigger so every writer
-- (API, workers, reconciler) moves it in the same transaction. The dashboard reads this instead of
-- aggregating the run table (150 ms on 100,000 runs in npm run bench:api).
CREATE TABLE run_daily_status_count (
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  day date NOT NULL,
  status "RunStatus" NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (team_id, day, status)
);

CREATE FUNCTION run_daily_status_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER run_daily_status_count_insert_delete AFTER INSERT OR DELETE ON run
  FOR EACH ROW EXECUTE FUNCTION run_daily_status_count_track();
CREATE TRIGGER run_daily_status_count_update AFTER UPDATE OF status ON run
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION run_daily_status_count_track();

INSERT INTO run_daily_status_count (team_id, day, status, count)
SELECT team_id, (created_at AT TIME ZONE 'UTC')::date, status, count(*) FROM run GROUP BY 1, 2, 3;

-- Down Migration
DROP TRIGGER run_daily_status_count_update ON run;
DROP TRIGGER run_daily_status_count_insert_delete ON run;
DROP FUNCTION run_daily_status_count_track();
DROP TABLE run_daily_status_count;
