-- Up Migration
-- Dashboard rollups kept by the result transaction (ResultRepository.saveRunResult), so the
-- dashboard never scans runs, violations or metrics to answer "riskiest scenarios" and "headroom".

-- The latest successful run of each scenario under each kernel (profile + overlay list), with its
-- critical violation count. "Riskiest scenarios" counts the open (untriaged, acknowledged-free,
-- unexpired-waiver-free) critical findings of these runs only.
CREATE TABLE scenario_kernel_latest_run (
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  scenario_id uuid NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
  profile text NOT NULL,
  overlays jsonb NOT NULL,
  run_id uuid NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  finished_at timestamptz(3) NOT NULL,
  critical_violations integer NOT NULL,
  PRIMARY KEY (team_id, scenario_id, profile, overlays)
);
CREATE INDEX scenario_kernel_latest_run_critical_idx ON scenario_kernel_latest_run (team_id) WHERE critical_violations > 0;

-- The newest SWIOTLB headroom point of each scenario: which scenarios the headroom chart shows.
CREATE TABLE scenario_headroom_latest (
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  scenario_id uuid NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
  run_id uuid NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  at timestamptz(3) NOT NULL,
  hiwater_fraction double precision NOT NULL,
  PRIMARY KEY (team_id, scenario_id)
);
CREATE INDEX scenario_headroom_latest_team_at_idx ON scenario_headroom_latest (team_id, at DESC);

-- A per-team counter bumped by every write that changes the dashboard's rollups (stored results,
-- triage decisions): API processes cache a team's dashboard parts and re-read them when it moves.
CREATE TABLE team_dashboard_version (
  team_id uuid PRIMARY KEY REFERENCES team (id) ON DELETE CASCADE,
  version bigint NOT NULL
);

CREATE FUNCTION team_dashboard_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO team_dashboard_version (team_id, version) VALUES (coalesce(NEW.team_id, OLD.team_id), 1)
  ON CONFLICT (team_id) DO UPDATE SET version = team_dashboard_version.version + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER violation_triage_dashboard_version AFTER INSERT OR UPDATE OR DELETE ON violation_triage
  FOR EACH ROW EXECUTE FUNCTION team_dashboard_version_bump();

-- Backfill from the results already stored.
INSERT INTO scenario_kernel_latest_run (team_id, scenario_id, profile, overlays, run_id, finished_at, critical_violations)
SELECT DISTINCT ON (r.team_id, r.scenario_id, r.profile, r.overlays)
       r.team_id, r.scenario_id, r.profile, r.overlays, r.id, r.finished_at,
       (SELECT count(*) FROM violation v WHERE v.run_id = r.id AND v.severity = 'critical')::int
FROM run r
WHERE r.status = 'SUCCEEDED' AND r.finished_at IS NOT NULL
ORDER BY r.team_id, r.scenario_id, r.profile, r.overlays, r.finished_at DESC, r.id DESC;

INSERT INTO scenario_headroom_latest (team_id, scenario_id, run_id, at, hiwater_fraction)
SELECT DISTINCT ON (m.team_id, m.scenario_id)
       m.team_id, m.scenario_id, m.run_id, m.created_at, coalesce(m.hiwater::float8 / nullif(m.nslabs, 0), 0)
FROM allocator_metrics m
ORDER BY m.team_id, m.scenario_id, m.created_at DESC, m.run_id DESC;

INSERT INTO team_dashboard_version (team_id, version) SELECT id, 1 FROM team;

-- Down Migration
DROP TRIGGER violation_triage_dashboard_version ON violation_triage;
DROP FUNCTION team_dashboard_version_bump();
DROP TABLE team_dashboard_version;
DROP TABLE scenario_headroom_latest;
DROP TABLE scenario_kernel_latest_run;
