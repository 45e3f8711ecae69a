-- Up Migration
-- Verdicts (issue 16): every succeeded run stores its verdict (the worst level), every level that
-- applies and the counts behind them (the engine report's summary), written with the results so
-- run lists can show and filter by them without reading reports. NULL until the run succeeded.
-- Idempotency keys remember a hash of the submission they were given with, so reusing a key for a
-- different submission is refused instead of returning the other run.
ALTER TABLE run ADD COLUMN verdict text CHECK (verdict IS NULL OR verdict IN ('exposes-secrets', 'exposes-data', 'failing', 'degraded', 'clean'));
ALTER TABLE run ADD COLUMN verdict_levels text[] NOT NULL DEFAULT '{}';
ALTER TABLE run ADD COLUMN summary jsonb;
ALTER TABLE run ADD COLUMN idempotency_input_hash text;
CREATE INDEX run_team_verdict_created_idx ON run (team_id, verdict, created_at DESC, id DESC);

-- Down Migration
DROP INDEX run_team_verdict_created_idx;
ALTER TABLE run DROP COLUMN idempotency_input_hash;
ALTER TABLE run DROP COLUMN summary;
ALTER TABLE run DROP COLUMN verdict_levels;
ALTER TABLE run DROP COLUMN verdict;
