-- Up Migration
-- Indexes and a rollup for the dashboard and the violations list (npm run bench:api measured
-- 0.9 s dashboards and 250 ms filtered lists on 1,000,000 violations without them).

CREATE INDEX violation_team_device_created_idx ON violation (team_id, device_id, created_at DESC, id DESC);
CREATE INDEX run_team_scenario_succeeded_idx ON run (team_id, scenario_id, finished_at DESC) WHERE status = 'SUCCEEDED';

-- Violations per team, UTC day, class and severity, maintained in the same transaction that stores
-- a run's results, so the dashboard never aggregates the violation table itself.
CREATE TABLE violation_daily_count (
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  day date NOT NULL,
  class text NOT NULL,
  severity text NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (team_id, day, class, severity)
);

INSERT INTO violation_daily_count (team_id, day, class, severity, count)
SELECT team_id, (created_at AT TIME ZONE 'UTC')::date, class, severity, count(*) FROM violation GROUP BY 1, 2, 3, 4;

-- Down Migration
DROP TABLE violation_daily_count;
DROP INDEX run_team_scenario_succeeded_idx;
DROP INDEX violation_team_device_created_idx;
