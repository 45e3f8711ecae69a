-- Up Migration
-- A run's time series are stored as one row per metric (t and value as parallel arrays) instead of
-- one row per sample. A 200-bucket run wrote 600 sample rows, each checked against two foreign keys
-- and indexed twice: about two thirds of the result statement's time. Series are only ever read
-- whole per run (charts bucket them, the CSV export lists them), so arrays lose nothing.
CREATE TABLE metric_series (
  run_id uuid NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  team_id uuid NOT NULL,
  metric text NOT NULL,
  t bigint[] NOT NULL,
  value double precision[] NOT NULL,
  PRIMARY KEY (run_id, metric),
  CHECK (cardinality(t) = cardinality(value))
);
INSERT INTO metric_series (run_id, team_id, metric, t, value)
SELECT run_id, team_id, metric, array_agg(t ORDER BY t), array_agg(value ORDER BY t)
FROM metric_sample GROUP BY run_id, team_id, metric;
DROP TABLE metric_sample;

-- Down Migration
CREATE TABLE metric_sample (
  run_id uuid NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  metric text NOT NULL,
  t bigint NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (run_id, metric, t)
);
CREATE INDEX metric_sample_t_brin ON metric_sample USING brin (t);
INSERT INTO metric_sample (run_id, team_id, metric, t, value)
SELECT s.run_id, s.team_id, s.metric, x.t, x.value FROM metric_series s, unnest(s.t, s.value) AS x (t, value);
DROP TABLE metric_series;
